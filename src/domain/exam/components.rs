//! The components of a level (DESIGN §3.5): the theory exam (理论知识考试), the skills
//! assessment (操作技能考核) and, for levels 2 and 1, the review panel (综合评审). Each
//! is out of 100 and passes at its plan's pass mark; a level is passed only when every
//! required component passes, with no averaging across them. A plan assesses one
//! component: theory plans are sat online; skills and review plans consist of tasks
//! for an assessor panel (stations), marked against their rubrics.

use serde::{Deserialize, Serialize};

use crate::domain::item::ItemType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Theory,
    Skills,
    Review,
}

impl Component {
    pub const ALL: [Component; 3] = [Component::Theory, Component::Skills, Component::Review];

    pub fn code(self) -> &'static str {
        match self {
            Component::Theory => "theory",
            Component::Skills => "skills",
            Component::Review => "review",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Assessed by a panel at stations rather than sat online.
    pub fn at_stations(self) -> bool {
        self != Component::Theory
    }
}

/// Which components a level requires *(config)*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentRule {
    /// The skills assessment is required at every level.
    pub skills_required: bool,
    /// Levels with a review panel (二级, 一级).
    pub review_levels: Vec<u8>,
}

impl Default for ComponentRule {
    fn default() -> Self {
        ComponentRule {
            skills_required: true,
            review_levels: vec![2, 1],
        }
    }
}

impl ComponentRule {
    pub fn required(&self, level: u8) -> Vec<Component> {
        let mut out = vec![Component::Theory];
        if self.skills_required {
            out.push(Component::Skills);
        }
        if self.review_levels.contains(&level) {
            out.push(Component::Review);
        }
        out
    }

    /// A plan of this component may be made for this level.
    pub fn allowed(&self, component: Component, level: u8) -> bool {
        component != Component::Review || self.review_levels.contains(&level)
    }
}

/// A station plan's tasks are for assessors: no machine-scored items in its paper.
pub fn station_items_only(types: impl IntoIterator<Item = ItemType>) -> bool {
    types.into_iter().all(|t| !t.is_objective())
}

/// Whether a person passed the level: every required component other than `here`
/// passed (`passed` lists those that did, from plans with final results).
pub fn level_passed(required: &[Component], here: Component, passed: &[Component]) -> bool {
    required
        .iter()
        .filter(|c| **c != here)
        .all(|c| passed.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_two_and_one_add_the_review_panel() {
        let rule = ComponentRule::default();
        assert_eq!(rule.required(5), vec![Component::Theory, Component::Skills]);
        assert_eq!(
            rule.required(2),
            vec![Component::Theory, Component::Skills, Component::Review]
        );
        assert!(rule.allowed(Component::Review, 1));
        assert!(!rule.allowed(Component::Review, 3));
        assert!(rule.allowed(Component::Skills, 5));
        let theory_only = ComponentRule {
            skills_required: false,
            review_levels: vec![],
        };
        assert_eq!(theory_only.required(1), vec![Component::Theory]);
    }

    #[test]
    fn a_level_passes_only_when_every_other_component_passed() {
        let req = [Component::Theory, Component::Skills, Component::Review];
        assert!(level_passed(
            &req,
            Component::Theory,
            &[Component::Skills, Component::Review]
        ));
        assert!(!level_passed(&req, Component::Theory, &[Component::Skills]));
        assert!(!level_passed(&req, Component::Theory, &[]));
        assert!(level_passed(&[Component::Theory], Component::Theory, &[]));
    }

    #[test]
    fn stations_hold_only_tasks_for_assessors() {
        assert!(station_items_only([ItemType::Practical, ItemType::Essay]));
        assert!(!station_items_only([
            ItemType::Practical,
            ItemType::SingleChoice
        ]));
    }
}
