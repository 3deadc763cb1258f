//! Certificate-based subsidies (DESIGN §3.7), as regional policy *(config)*: at most
//! `max_per_year` subsidised certificates per person per year (whoever was paid: the
//! person, an employer or a training body); never twice for the same occupation and
//! level; never for a lower level once a higher level of the same occupation was
//! subsidised; claimed within `claim_window_months` of the certificate; only for a valid
//! certificate. The check answers eligible, or not eligible with the rule that decided.

use serde::{Deserialize, Serialize};

/// The region's subsidy policy. *(config)*
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubsidyPolicy {
    pub max_per_year: u32,
    pub claim_window_months: u32,
}

impl Default for SubsidyPolicy {
    fn default() -> Self {
        SubsidyPolicy {
            max_per_year: 3,
            claim_window_months: 12,
        }
    }
}

/// A subsidy already granted to (or for) the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Granted {
    pub occupation_code: String,
    /// `None` for certificates without levels.
    pub level: Option<u8>,
    pub year: i32,
}

/// What is claimed for.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub occupation_code: String,
    pub level: Option<u8>,
    pub certificate_valid: bool,
    pub issued_on: time::Date,
    pub claimed_on: time::Date,
}

/// The rule that refused a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyRule {
    /// The certificate is suspended or revoked.
    CertificateNotValid,
    /// Claimed more than the window after issue.
    ClaimWindow,
    /// The person already had the year's number of subsidised certificates.
    YearlyCap,
    /// This occupation and level was subsidised before.
    SameOccupationLevel,
    /// A higher level of this occupation was subsidised before.
    LowerThanSubsidised,
}

impl SubsidyRule {
    pub fn code(self) -> &'static str {
        match self {
            SubsidyRule::CertificateNotValid => "subsidy_rule.certificate_not_valid",
            SubsidyRule::ClaimWindow => "subsidy_rule.claim_window",
            SubsidyRule::YearlyCap => "subsidy_rule.yearly_cap",
            SubsidyRule::SameOccupationLevel => "subsidy_rule.same_occupation_level",
            SubsidyRule::LowerThanSubsidised => "subsidy_rule.lower_than_subsidised",
        }
    }
}

/// The date `months` after `d` (the last day of the month when it has fewer days).
fn add_months(d: time::Date, months: u32) -> time::Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months as i32;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let month = time::Month::try_from(m as u8).unwrap_or(time::Month::December);
    let mut day = d.day();
    loop {
        if let Ok(out) = time::Date::from_calendar_date(y, month, day) {
            return out;
        }
        day -= 1;
    }
}

/// Whether `claim` may be subsidised given the person's earlier subsidies.
pub fn check(
    policy: &SubsidyPolicy,
    claim: &Claim,
    history: &[Granted],
) -> Result<(), SubsidyRule> {
    if !claim.certificate_valid {
        return Err(SubsidyRule::CertificateNotValid);
    }
    if claim.claimed_on > add_months(claim.issued_on, policy.claim_window_months) {
        return Err(SubsidyRule::ClaimWindow);
    }
    let same_occupation = history
        .iter()
        .filter(|g| g.occupation_code == claim.occupation_code);
    for g in same_occupation {
        if g.level == claim.level {
            return Err(SubsidyRule::SameOccupationLevel);
        }
        // Level 1 is the highest: a subsidised level below the claimed number is higher.
        if let (Some(had), Some(want)) = (g.level, claim.level) {
            if had < want {
                return Err(SubsidyRule::LowerThanSubsidised);
            }
        }
    }
    let this_year = history
        .iter()
        .filter(|g| g.year == claim.claimed_on.year())
        .count();
    if this_year >= policy.max_per_year as usize {
        return Err(SubsidyRule::YearlyCap);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> time::Date {
        crate::domain::time::parse_date(s).unwrap()
    }

    fn claim(occ: &str, level: Option<u8>, issued: &str, claimed: &str) -> Claim {
        Claim {
            occupation_code: occ.into(),
            level,
            certificate_valid: true,
            issued_on: date(issued),
            claimed_on: date(claimed),
        }
    }

    fn had(occ: &str, level: Option<u8>, year: i32) -> Granted {
        Granted {
            occupation_code: occ.into(),
            level,
            year,
        }
    }

    const ELDER: &str = "4-10-01-05";

    #[test]
    fn each_rule_decides_with_its_name() {
        let p = SubsidyPolicy::default();
        let c = claim(ELDER, Some(4), "2026-03-01", "2026-12-04");
        assert_eq!(check(&p, &c, &[]), Ok(()));
        let mut revoked = c.clone();
        revoked.certificate_valid = false;
        assert_eq!(
            check(&p, &revoked, &[]),
            Err(SubsidyRule::CertificateNotValid)
        );
        let late = claim(ELDER, Some(4), "2025-12-03", "2026-12-04");
        assert_eq!(check(&p, &late, &[]), Err(SubsidyRule::ClaimWindow));
        let on_the_day = claim(ELDER, Some(4), "2025-12-04", "2026-12-04");
        assert_eq!(check(&p, &on_the_day, &[]), Ok(()));
        assert_eq!(
            check(&p, &c, &[had(ELDER, Some(4), 2025)]),
            Err(SubsidyRule::SameOccupationLevel)
        );
        assert_eq!(
            check(&p, &c, &[had(ELDER, Some(3), 2025)]),
            Err(SubsidyRule::LowerThanSubsidised)
        );
        // A higher level after a lower one is fine.
        let higher = claim(ELDER, Some(3), "2026-03-01", "2026-12-04");
        assert_eq!(check(&p, &higher, &[had(ELDER, Some(4), 2025)]), Ok(()));
        let three = [
            had("6-29-02-05", Some(5), 2026),
            had("4-01-02-01", Some(4), 2026),
            had("4-10-01-06", None, 2026),
        ];
        assert_eq!(check(&p, &c, &three), Err(SubsidyRule::YearlyCap));
        // Last year's do not count against this year.
        let last_year = [
            had("6-29-02-05", Some(5), 2025),
            had("4-01-02-01", Some(4), 2025),
            had("4-10-01-06", None, 2025),
        ];
        assert_eq!(check(&p, &c, &last_year), Ok(()));
    }

    #[test]
    fn the_claim_window_ends_on_the_same_day_months_later() {
        assert_eq!(add_months(date("2026-01-31"), 1), date("2026-02-28"));
        assert_eq!(add_months(date("2026-03-15"), 12), date("2027-03-15"));
        assert_eq!(add_months(date("2024-02-29"), 12), date("2025-02-28"));
    }
}
