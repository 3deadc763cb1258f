//! What proctors and inspectors record: irregularities (违纪) with their outcome, and
//! inspection findings by subject, category and severity (the inputs of the credit
//! ledger, DESIGN §3.8).

use serde::{Deserialize, Serialize};

/// What an irregularity (违纪) leads to, by local rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IrregularityOutcome {
    Warning,
    /// Points taken off the written paper (e.g. 10).
    Deduction,
    /// The paper is void; the attempt ends.
    Void,
}

impl IrregularityOutcome {
    pub const ALL: [IrregularityOutcome; 3] = [
        IrregularityOutcome::Warning,
        IrregularityOutcome::Deduction,
        IrregularityOutcome::Void,
    ];

    pub fn code(self) -> &'static str {
        match self {
            IrregularityOutcome::Warning => "warning",
            IrregularityOutcome::Deduction => "deduction",
            IrregularityOutcome::Void => "void",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingSubject {
    Body,
    Proctor,
    Session,
}

impl FindingSubject {
    pub const ALL: [FindingSubject; 3] = [
        FindingSubject::Body,
        FindingSubject::Proctor,
        FindingSubject::Session,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FindingSubject::Body => "body",
            FindingSubject::Proctor => "proctor",
            FindingSubject::Session => "session",
        }
    }
}

/// Categories of inspection findings, the inputs of the credit ledger (DESIGN §3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingCategory {
    Staffing,
    Identity,
    Discipline,
    Procedure,
    Facilities,
    Integrity,
}

impl FindingCategory {
    pub const ALL: [FindingCategory; 6] = [
        FindingCategory::Staffing,
        FindingCategory::Identity,
        FindingCategory::Discipline,
        FindingCategory::Procedure,
        FindingCategory::Facilities,
        FindingCategory::Integrity,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FindingCategory::Staffing => "staffing",
            FindingCategory::Identity => "identity",
            FindingCategory::Discipline => "discipline",
            FindingCategory::Procedure => "procedure",
            FindingCategory::Facilities => "facilities",
            FindingCategory::Integrity => "integrity",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Major,
    Serious,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::Major, Severity::Serious];

    pub fn code(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Serious => "serious",
        }
    }
}
