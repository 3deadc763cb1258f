//! The life cycle of an item (DESIGN §3.2): draft → in review → active → retired, and
//! the rule that a reviewer never approves an item they wrote.

use serde::{Deserialize, Serialize};

/// Life cycle of an item (DESIGN §3.2): draft → in review → active → retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Draft,
    InReview,
    Active,
    Retired,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Draft,
        ItemStatus::InReview,
        ItemStatus::Active,
        ItemStatus::Retired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ItemStatus::Draft => "draft",
            ItemStatus::InReview => "in_review",
            ItemStatus::Active => "active",
            ItemStatus::Retired => "retired",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            ItemStatus::Draft,
            ItemStatus::InReview,
            ItemStatus::Active,
            ItemStatus::Retired,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }
}

/// A change of life-cycle state someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Approve,
    Reject,
    Retire,
}

impl Transition {
    pub const ALL: [Transition; 4] = [
        Transition::Submit,
        Transition::Approve,
        Transition::Reject,
        Transition::Retire,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Retire => "retire",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this item cannot go from {from:?} by {by:?}")]
    NotAllowed { from: ItemStatus, by: Transition },
    #[error("a reviewer never approves their own item")]
    OwnItem,
}

/// The next status, or why not. `actor_is_author` is true when the person acting wrote
/// the version under review.
pub fn transition(
    from: ItemStatus,
    by: Transition,
    actor_is_author: bool,
) -> Result<ItemStatus, TransitionError> {
    use ItemStatus::*;
    use Transition::*;
    match (from, by) {
        (Draft, Submit) => Ok(InReview),
        (InReview, Approve | Reject) if actor_is_author => Err(TransitionError::OwnItem),
        (InReview, Approve) => Ok(Active),
        (InReview, Reject) => Ok(Draft),
        (Active, Retire) => Ok(Retired),
        _ => Err(TransitionError::NotAllowed { from, by }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewers_never_approve_their_own_items() {
        assert_eq!(
            transition(ItemStatus::Draft, Transition::Submit, true),
            Ok(ItemStatus::InReview)
        );
        assert_eq!(
            transition(ItemStatus::InReview, Transition::Approve, true),
            Err(TransitionError::OwnItem)
        );
        assert_eq!(
            transition(ItemStatus::InReview, Transition::Approve, false),
            Ok(ItemStatus::Active)
        );
        assert!(transition(ItemStatus::Draft, Transition::Approve, false).is_err());
        assert_eq!(
            transition(ItemStatus::Active, Transition::Retire, true),
            Ok(ItemStatus::Retired)
        );
    }
}
