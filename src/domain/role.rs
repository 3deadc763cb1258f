//! Roles (DESIGN §1). A role is always held *at* an organisation: a body admin at one
//! evaluation body, an inspector at the bodies they are dispatched to.

use serde::{Deserialize, Serialize};

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
pub enum Role {
    RegulatorAdmin,
    BodyAdmin,
    BankAuthor,
    BankReviewer,
    Proctor,
    Assessor,
    QualityInspector,
    Candidate,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::RegulatorAdmin,
        Role::BodyAdmin,
        Role::BankAuthor,
        Role::BankReviewer,
        Role::Proctor,
        Role::Assessor,
        Role::QualityInspector,
        Role::Candidate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::RegulatorAdmin => "regulator_admin",
            Role::BodyAdmin => "body_admin",
            Role::BankAuthor => "bank_author",
            Role::BankReviewer => "bank_reviewer",
            Role::Proctor => "proctor",
            Role::Assessor => "assessor",
            Role::QualityInspector => "quality_inspector",
            Role::Candidate => "candidate",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Whether the role reads answer keys (bank contents). Such accounts always choose
    /// their own password: one an admin set and knows would let the admin read keys
    /// through them, side-stepping the rule that nobody grants themselves a role.
    pub fn reads_keys(self) -> bool {
        matches!(
            self,
            Role::RegulatorAdmin | Role::BankAuthor | Role::BankReviewer
        )
    }

    /// The kind of organisation a role may be held at.
    pub fn held_at(self) -> &'static [super::org::OrgKind] {
        use super::org::OrgKind::*;
        match self {
            Role::RegulatorAdmin => &[Regulator],
            // Inspectors are dispatched by the regulator to bodies.
            Role::QualityInspector => &[Regulator, Body],
            // Banks may be kept by the regulator (provincial banks) or by a body.
            Role::BankAuthor | Role::BankReviewer => &[Regulator, Body],
            Role::BodyAdmin | Role::Proctor | Role::Assessor | Role::Candidate => &[Body],
        }
    }
}
