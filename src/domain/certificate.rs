//! Certificates (DESIGN §3.6): numbering schemes per kind, the issuance rule, status,
//! what public verification may show, and the wording check of certificate templates.
//!
//! Numbering is pluggable: [`scheme`] gives each kind its [`NumberScheme`]. The
//! skill-level scheme is the national 22-character one; the others are this system's
//! own (a kind letter, province, body, year, level, serial) until a region configures
//! its own. The store takes serials inside the issuing transaction and asks the scheme
//! to print them, so concurrent issuance never repeats or skips a number.

use serde::{Deserialize, Serialize};

use super::org::{BodyType, CertificateKind, OrgStatus};

/// A certificate's standing as public verification shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    Suspended,
    Revoked,
}

impl CertificateStatus {
    pub const ALL: [CertificateStatus; 3] = [
        CertificateStatus::Valid,
        CertificateStatus::Suspended,
        CertificateStatus::Revoked,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Suspended => "suspended",
            CertificateStatus::Revoked => "revoked",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Which status changes an officer may make: suspend a valid certificate, reinstate
    /// a suspended one, revoke either. Revocation is final.
    pub fn may_become(self, next: CertificateStatus) -> bool {
        use CertificateStatus::*;
        matches!(
            (self, next),
            (Valid, Suspended) | (Suspended, Valid) | (Valid, Revoked) | (Suspended, Revoked)
        )
    }
}

/// What a number is made of: the issuing body's codes, the year and the level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberParts {
    pub kind: CertificateKind,
    pub body_type: Option<BodyType>,
    /// 4 digits (`0000` when filed with the province).
    pub body_code: String,
    /// 2 digits (Jiangsu 32).
    pub province_code: String,
    /// 6 digits: the body's site code.
    pub site_code: String,
    /// Four-digit year of issue (China Standard Time).
    pub year: i32,
    /// `None` for kinds without levels.
    pub level: Option<u8>,
}

/// Why a number cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Skill-level certificates are issued by employers (Y) and social training and
    /// evaluation organisations (S) only.
    #[error("this body type does not issue this kind of certificate")]
    BodyType,
    /// The body has no valid 4-digit body, 2-digit province or 6-digit site code.
    #[error("the body's codes are missing or malformed")]
    Codes,
    #[error("the kind needs a level from 1 to 5")]
    Level,
    /// Every serial of the body, kind, year and level is taken.
    #[error("the serials of this year and level are used up")]
    Exhausted,
}

impl NumberError {
    pub fn code(self) -> &'static str {
        match self {
            NumberError::BodyType => "certificate_error.body_type",
            NumberError::Codes => "certificate_error.body_codes",
            NumberError::Level => "certificate_error.level",
            NumberError::Exhausted => "certificate_error.serials_exhausted",
        }
    }
}

/// A way of numbering one kind of certificate. `series` is the part before the serial
/// (it names the body, year and level the serial is unique within); `format` appends a
/// serial (1-based) to it.
pub trait NumberScheme: Sync {
    fn series(&self, p: &NumberParts) -> Result<String, NumberError>;
    fn max_serial(&self) -> u32;
    fn format(&self, series: &str, serial: u32) -> Result<String, NumberError>;
}

/// The national skill-level scheme, 22 characters: body type `Y`/`S`, 4-digit body
/// code, 2-digit province code, 6-digit site code, 2-digit year, 1-digit level, 6-digit
/// serial unique per body, year and level.
pub struct SkillLevelScheme;

impl NumberScheme for SkillLevelScheme {
    fn series(&self, p: &NumberParts) -> Result<String, NumberError> {
        let t = match p.body_type {
            Some(BodyType::Employer) => 'Y',
            Some(BodyType::SocialOrganisation) => 'S',
            _ => return Err(NumberError::BodyType),
        };
        check_codes(p)?;
        let level = p
            .level
            .filter(|l| (1..=5).contains(l))
            .ok_or(NumberError::Level)?;
        Ok(format!(
            "{t}{}{}{}{:02}{level}",
            p.body_code,
            p.province_code,
            p.site_code,
            p.year.rem_euclid(100)
        ))
    }

    fn max_serial(&self) -> u32 {
        999_999
    }

    fn format(&self, series: &str, serial: u32) -> Result<String, NumberError> {
        match (1..=self.max_serial()).contains(&serial) {
            true => Ok(format!("{series}{serial:06}")),
            false => Err(NumberError::Exhausted),
        }
    }
}

/// This system's scheme for the other kinds, 24 characters: a kind letter (Q
/// vocational qualification, A special ability, T special operation, P training),
/// province, body code, site code (bodies filed with the province share body code
/// `0000`, so the site tells them apart), 4-digit year, level (0 without), 6-digit serial.
pub struct OwnScheme;

impl NumberScheme for OwnScheme {
    fn series(&self, p: &NumberParts) -> Result<String, NumberError> {
        let letter = match p.kind {
            CertificateKind::VocationalQualification => 'Q',
            CertificateKind::SpecialAbility => 'A',
            CertificateKind::SpecialOperation => 'T',
            CertificateKind::Training => 'P',
            CertificateKind::SkillLevel => 'S',
        };
        check_codes(p)?;
        let level = match (p.kind.has_level(), p.level) {
            (true, Some(l)) if (1..=5).contains(&l) => l,
            (true, _) => return Err(NumberError::Level),
            (false, _) => 0,
        };
        Ok(format!(
            "{letter}{}{}{}{:04}{level}",
            p.province_code, p.body_code, p.site_code, p.year
        ))
    }

    fn max_serial(&self) -> u32 {
        999_999
    }

    fn format(&self, series: &str, serial: u32) -> Result<String, NumberError> {
        match (1..=self.max_serial()).contains(&serial) {
            true => Ok(format!("{series}{serial:06}")),
            false => Err(NumberError::Exhausted),
        }
    }
}

/// The numbering scheme of a kind.
pub fn scheme(kind: CertificateKind) -> &'static dyn NumberScheme {
    match kind {
        CertificateKind::SkillLevel => &SkillLevelScheme,
        _ => &OwnScheme,
    }
}

fn check_codes(p: &NumberParts) -> Result<(), NumberError> {
    let digits = |s: &str, n: usize| super::org::is_digits(s, n);
    match digits(&p.body_code, 4) && digits(&p.province_code, 2) && digits(&p.site_code, 6) {
        true => Ok(()),
        false => Err(NumberError::Codes),
    }
}

/// Special operation certificates are reviewed every 3 years, every 6 for a long clean
/// record (DESIGN §3.6): the review due date from the issue date.
pub fn review_due(
    kind: CertificateKind,
    issued: time::Date,
    clean_record: bool,
) -> Option<time::Date> {
    if kind != CertificateKind::SpecialOperation {
        return None;
    }
    let years = if clean_record { 6 } else { 3 };
    let y = issued.year() + years;
    // 29 February falls back to 28 February in a common year.
    time::Date::from_calendar_date(y, issued.month(), issued.day())
        .or_else(|_| time::Date::from_calendar_date(y, issued.month(), 28))
        .ok()
}

/// Why a certificate may not be issued for a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueRefusal {
    /// The body is suspended or has exited.
    BodyStanding,
    /// The body's filed scope does not cover the occupation, level and kind.
    OutOfScope,
    /// The results are not published, or their review window is still open.
    NotFinal,
    /// The candidate did not pass.
    NotPassed,
    /// The person deciding proctored or assessed the candidate.
    ExaminedCandidate,
    /// The approver is the person who asked for issuance.
    SamePerson,
}

impl IssueRefusal {
    pub fn code(self) -> &'static str {
        match self {
            IssueRefusal::BodyStanding => "certificate_error.body_standing",
            IssueRefusal::OutOfScope => "certificate_error.out_of_scope",
            IssueRefusal::NotFinal => "certificate_error.not_final",
            IssueRefusal::NotPassed => "certificate_error.not_passed",
            IssueRefusal::ExaminedCandidate => "certificate_error.examined",
            IssueRefusal::SamePerson => "certificate_error.same_person",
        }
    }
}

/// The facts the issuance rule needs about the body and one decision.
pub struct IssueCheck {
    pub body_status: OrgStatus,
    pub in_scope: bool,
    /// Results published and the review window over.
    pub final_result: bool,
    pub requester: i64,
    pub approver: i64,
    /// Whether the approver or the requester served on the candidates' sessions.
    pub deciders_examined: bool,
}

/// Issuance (DESIGN §3.6): only a body in good standing, within its filed scope, for
/// finalised results, decided by two different people neither of whom examined the
/// candidates. Each candidate's own pass is checked per candidate ([`passed_for_issue`]).
pub fn may_issue(c: &IssueCheck) -> Result<(), IssueRefusal> {
    if c.body_status != OrgStatus::Active {
        return Err(IssueRefusal::BodyStanding);
    }
    if !c.in_scope {
        return Err(IssueRefusal::OutOfScope);
    }
    if !c.final_result {
        return Err(IssueRefusal::NotFinal);
    }
    if c.requester == c.approver {
        return Err(IssueRefusal::SamePerson);
    }
    if c.deciders_examined {
        return Err(IssueRefusal::ExaminedCandidate);
    }
    Ok(())
}

/// Results are final once published and the review window has closed.
pub fn results_final(published: Option<(i64, i64)>, now_ms: i64) -> bool {
    matches!(published, Some((_, review_until)) if now_ms >= review_until)
}

/// A holder's name as public verification shows it: the family name and, for names of
/// three characters or more, the last character; the rest masked (张*、王*明、欧**华).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut s = String::new();
            s.push(chars[0]);
            s.extend(std::iter::repeat_n('*', n - 2));
            s.push(chars[n - 1]);
            s
        }
    }
}

/// National terms a certificate issued by a body must not carry (DESIGN §3.6): the
/// state's name and "national" words belong to certificates the state issues, and
/// 职业资格 to vocational qualification certificates.
pub fn misused_terms(text: &str, kind: CertificateKind) -> Vec<&'static str> {
    const NATIONAL: [&str; 5] = ["中华人民共和国", "国家", "全国", "国务院", "国徽"];
    let mut out: Vec<&'static str> = NATIONAL
        .into_iter()
        .filter(|t| kind != CertificateKind::VocationalQualification && text.contains(t))
        .collect();
    if kind != CertificateKind::VocationalQualification && text.contains("职业资格") {
        out.push("职业资格");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(kind: CertificateKind, body: Option<BodyType>, level: Option<u8>) -> NumberParts {
        NumberParts {
            kind,
            body_type: body,
            body_code: "0000".into(),
            province_code: "32".into(),
            site_code: "010203".into(),
            year: 2026,
            level,
        }
    }

    #[test]
    fn skill_level_numbers_have_22_characters_in_the_national_order() {
        let s = scheme(CertificateKind::SkillLevel);
        let p = parts(
            CertificateKind::SkillLevel,
            Some(BodyType::SocialOrganisation),
            Some(4),
        );
        let series = s.series(&p).unwrap();
        let n = s.format(&series, 17).unwrap();
        assert_eq!(n, "S000032010203264000017");
        assert_eq!(n.len(), 22);
        let y = parts(
            CertificateKind::SkillLevel,
            Some(BodyType::Employer),
            Some(1),
        );
        assert!(s.series(&y).unwrap().starts_with("Y0000"));
        assert_eq!(s.format(&series, 1_000_000), Err(NumberError::Exhausted));
        assert_eq!(s.format(&series, 0), Err(NumberError::Exhausted));
        let q = parts(
            CertificateKind::SkillLevel,
            Some(BodyType::Qualification),
            Some(4),
        );
        assert_eq!(s.series(&q), Err(NumberError::BodyType));
        let mut bad = p.clone();
        bad.site_code = "12".into();
        assert_eq!(s.series(&bad), Err(NumberError::Codes));
        assert_eq!(
            s.series(&parts(
                CertificateKind::SkillLevel,
                Some(BodyType::Employer),
                None
            )),
            Err(NumberError::Level)
        );
    }

    #[test]
    fn other_kinds_number_their_own_way() {
        let p = parts(
            CertificateKind::SpecialAbility,
            Some(BodyType::SpecialAbility),
            None,
        );
        let s = scheme(CertificateKind::SpecialAbility);
        let n = s.format(&s.series(&p).unwrap(), 3).unwrap();
        assert_eq!(n, "A32000001020320260000003");
        assert_eq!(n.len(), 24);
        let t = parts(CertificateKind::SpecialOperation, None, Some(3));
        assert!(s.series(&t).unwrap().starts_with("T32"));
    }

    #[test]
    fn issuance_needs_standing_scope_final_results_and_two_outsiders() {
        let ok = IssueCheck {
            body_status: OrgStatus::Active,
            in_scope: true,
            final_result: true,
            requester: 1,
            approver: 2,
            deciders_examined: false,
        };
        assert_eq!(may_issue(&ok), Ok(()));
        let with = |f: fn(&mut IssueCheck)| {
            let mut c = IssueCheck { ..ok };
            f(&mut c);
            may_issue(&c)
        };
        assert_eq!(
            with(|c| c.body_status = OrgStatus::Suspended),
            Err(IssueRefusal::BodyStanding)
        );
        assert_eq!(with(|c| c.in_scope = false), Err(IssueRefusal::OutOfScope));
        assert_eq!(
            with(|c| c.final_result = false),
            Err(IssueRefusal::NotFinal)
        );
        assert_eq!(with(|c| c.approver = 1), Err(IssueRefusal::SamePerson));
        assert_eq!(
            with(|c| c.deciders_examined = true),
            Err(IssueRefusal::ExaminedCandidate)
        );
        assert!(!results_final(None, 10));
        assert!(!results_final(Some((0, 11)), 10));
        assert!(results_final(Some((0, 10)), 10));
    }

    #[test]
    fn names_are_masked_and_status_changes_are_bounded() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("王小明"), "王*明");
        assert_eq!(mask_name("欧阳小华"), "欧**华");
        use CertificateStatus::*;
        assert!(Valid.may_become(Revoked));
        assert!(Suspended.may_become(Valid));
        assert!(!Revoked.may_become(Valid));
        assert!(!Valid.may_become(Valid));
    }

    #[test]
    fn national_terms_are_caught_outside_qualification_certificates() {
        let t = "全国职业技能等级证书";
        assert_eq!(misused_terms(t, CertificateKind::SkillLevel), vec!["全国"]);
        assert!(misused_terms("职业资格证书", CertificateKind::VocationalQualification).is_empty());
        assert_eq!(
            misused_terms("职业资格", CertificateKind::Training),
            vec!["职业资格"]
        );
        assert!(misused_terms("职业技能等级证书", CertificateKind::SkillLevel).is_empty());
    }

    #[test]
    fn special_operation_reviews_fall_due() {
        let d = time::Date::from_calendar_date(2024, time::Month::February, 29).unwrap();
        let due = review_due(CertificateKind::SpecialOperation, d, false).unwrap();
        assert_eq!(due.to_string(), "2027-02-28");
        assert_eq!(
            review_due(CertificateKind::SpecialOperation, d, true)
                .unwrap()
                .year(),
            2030
        );
        assert_eq!(review_due(CertificateKind::SkillLevel, d, false), None);
    }
}
