//! Organisations: regulator → evaluation body → test site → room (DESIGN §1), and the
//! codes and filed scope that belong to an evaluation body.

use serde::{Deserialize, Serialize};

use super::validate::{FieldError, Fields};

/// Where an organisation sits in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Regulator,
    Body,
    TestSite,
    Room,
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Regulator,
        OrgKind::Body,
        OrgKind::TestSite,
        OrgKind::Room,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Regulator => "regulator",
            OrgKind::Body => "body",
            OrgKind::TestSite => "test_site",
            OrgKind::Room => "room",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            OrgKind::Regulator,
            OrgKind::Body,
            OrgKind::TestSite,
            OrgKind::Room,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }

    /// The kind of parent an organisation of this kind must have.
    pub fn parent_kind(self) -> Option<OrgKind> {
        match self {
            OrgKind::Regulator => None,
            OrgKind::Body => Some(OrgKind::Regulator),
            OrgKind::TestSite => Some(OrgKind::Body),
            OrgKind::Room => Some(OrgKind::TestSite),
        }
    }
}

/// The type of an evaluation body. `Y` and `S` are the letters of the skill-level
/// certificate number (DESIGN §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyType {
    /// 用人单位 (Y)
    Employer,
    /// 社会培训评价组织 (S)
    SocialOrganisation,
    /// 职业资格鉴定机构
    Qualification,
    /// 专项职业能力考核机构
    SpecialAbility,
}

impl BodyType {
    pub const ALL: [BodyType; 4] = [
        BodyType::Employer,
        BodyType::SocialOrganisation,
        BodyType::Qualification,
        BodyType::SpecialAbility,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BodyType::Employer => "employer",
            BodyType::SocialOrganisation => "social_organisation",
            BodyType::Qualification => "qualification",
            BodyType::SpecialAbility => "special_ability",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Standing of a body: only `Active` bodies may plan assessments or issue certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Active,
    Suspended,
    Exited,
}

impl OrgStatus {
    pub const ALL: [OrgStatus; 3] = [OrgStatus::Active, OrgStatus::Suspended, OrgStatus::Exited];

    pub fn code(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Suspended => "suspended",
            OrgStatus::Exited => "exited",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [OrgStatus::Active, OrgStatus::Suspended, OrgStatus::Exited]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// Certificate kinds (DESIGN §3.6).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    VocationalQualification,
    SkillLevel,
    SpecialAbility,
    SpecialOperation,
    Training,
}

impl CertificateKind {
    pub const ALL: [CertificateKind; 5] = [
        CertificateKind::VocationalQualification,
        CertificateKind::SkillLevel,
        CertificateKind::SpecialAbility,
        CertificateKind::SpecialOperation,
        CertificateKind::Training,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::VocationalQualification => "vocational_qualification",
            CertificateKind::SkillLevel => "skill_level",
            CertificateKind::SpecialAbility => "special_ability",
            CertificateKind::SpecialOperation => "special_operation",
            CertificateKind::Training => "training",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Special ability certificates are pass/fail and carry no level.
    pub fn has_level(self) -> bool {
        !matches!(
            self,
            CertificateKind::SpecialAbility | CertificateKind::Training
        )
    }
}

/// An occupation code of the national classification, `d-dd-dd-dd`, with its edition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OccupationCode {
    code: String,
    edition: u16,
}

impl OccupationCode {
    pub fn parse(code: &str, edition: u16) -> Result<Self, &'static str> {
        let code = code.trim();
        let b = code.as_bytes();
        let shape_ok = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                1 | 4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            });
        if !shape_ok {
            return Err("occupation.code_format");
        }
        if edition != 2015 && edition != 2022 {
            return Err("occupation.edition");
        }
        Ok(OccupationCode {
            code: code.to_string(),
            edition,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn edition(&self) -> u16 {
        self.edition
    }
}

/// A skill level: 5 (五级/初级工) … 1 (一级/高级技师).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Level(u8);

impl Level {
    pub fn new(n: u8) -> Option<Self> {
        (1..=5).contains(&n).then_some(Level(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// One entry of a body's filed scope (备案范围).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScopeEntry {
    pub occupation: OccupationCode,
    /// `None` for certificate kinds without levels.
    pub level: Option<Level>,
    pub certificate_kind: CertificateKind,
}

/// Checks the codes an evaluation body carries. `site_code` is the 6-digit code of
/// the body's main site used in certificate numbers.
pub fn validate_body_codes(
    body_code: &str,
    province_code: &str,
    site_code: &str,
    fields: &mut Fields,
) {
    if !is_digits(body_code, 4) {
        fields.push(FieldError::new("body_code", "org.body_code_invalid"));
    }
    if !is_digits(province_code, 2) {
        fields.push(FieldError::new(
            "province_code",
            "org.province_code_invalid",
        ));
    }
    if !is_digits(site_code, 6) {
        fields.push(FieldError::new("site_code", "org.site_code_invalid"));
    }
}

pub fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupation_codes_have_the_national_shape() {
        assert!(OccupationCode::parse("4-10-01-05", 2022).is_ok());
        assert_eq!(
            OccupationCode::parse("4-10-1-05", 2022),
            Err("occupation.code_format")
        );
        assert_eq!(
            OccupationCode::parse("4-10-01-05", 2019),
            Err("occupation.edition")
        );
    }

    #[test]
    fn body_codes_are_checked_by_length_and_digits() {
        let mut f = Fields::default();
        validate_body_codes("0000", "32", "320100", &mut f);
        assert!(f.is_empty());
        validate_body_codes("00a0", "320", "3201", &mut f);
        let names: Vec<_> = f.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["body_code", "province_code", "site_code"]);
    }

    #[test]
    fn parents_follow_the_hierarchy() {
        assert_eq!(OrgKind::Room.parent_kind(), Some(OrgKind::TestSite));
        assert_eq!(OrgKind::Regulator.parent_kind(), None);
    }
}
