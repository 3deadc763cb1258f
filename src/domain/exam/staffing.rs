//! Staffing and recusal (回避): how many proctors a room needs, and which declared
//! relations bar a staff member from a session.

use serde::{Deserialize, Serialize};

/// How many proctors a theory room needs: max(`minimum`, ⌈candidates / `candidates_per_proctor`⌉)
/// (DESIGN §3.4; regional policy, a setting: `exams.proctors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProctorRatio {
    pub candidates_per_proctor: u32,
    pub minimum: u32,
}

impl Default for ProctorRatio {
    fn default() -> Self {
        ProctorRatio {
            candidates_per_proctor: 15,
            minimum: 2,
        }
    }
}

impl ProctorRatio {
    pub fn needed(&self, candidates: u32) -> u32 {
        candidates
            .div_ceil(self.candidates_per_proctor.max(1))
            .max(self.minimum)
    }
}

/// Proctors a theory room needs by the national default ratio: max(2, ⌈candidates / 15⌉).
pub fn required_proctors(candidates: u32) -> u32 {
    ProctorRatio::default().needed(candidates)
}

/// Declared relations that bar a staff member from a session (回避).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    CloseRelative,
    TeacherStudent,
    MasterApprentice,
    Colleague,
    SameTrainingBody,
}

impl Relation {
    pub const ALL: [Relation; 5] = [
        Relation::CloseRelative,
        Relation::TeacherStudent,
        Relation::MasterApprentice,
        Relation::Colleague,
        Relation::SameTrainingBody,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Relation::CloseRelative => "close_relative",
            Relation::TeacherStudent => "teacher_student",
            Relation::MasterApprentice => "master_apprentice",
            Relation::Colleague => "colleague",
            Relation::SameTrainingBody => "same_training_body",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// Why a staff member may not serve: the relation and the candidate it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recusal {
    pub relation: Relation,
    pub admission_no: String,
}

/// The first conflict between a staff member's relations `(person, relation)` and the
/// candidates `(person, admission_no)` of a session, if any; a person is whatever key
/// identifies one (the store uses the document's keyed look-up hash). A staff member who is
/// themself a candidate of the session is refused as a close relative would be.
pub fn recusal<K: PartialEq>(
    staff_person: Option<&K>,
    relations: &[(K, Relation)],
    candidates: &[(K, String)],
) -> Option<Recusal> {
    for (person, admission_no) in candidates {
        if staff_person == Some(person) {
            return Some(Recusal {
                relation: Relation::CloseRelative,
                admission_no: admission_no.clone(),
            });
        }
        if let Some((_, relation)) = relations.iter().find(|(p, _)| p == person) {
            return Some(Recusal {
                relation: *relation,
                admission_no: admission_no.clone(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proctors_per_room() {
        assert_eq!(required_proctors(0), 2);
        assert_eq!(required_proctors(30), 2);
        assert_eq!(required_proctors(31), 3);
        assert_eq!(required_proctors(45), 3);
        assert_eq!(required_proctors(46), 4);
        assert_eq!(required_proctors(10_000), 667);
        // A region that wants one proctor per 10 candidates and at least three.
        let strict = ProctorRatio {
            candidates_per_proctor: 10,
            minimum: 3,
        };
        assert_eq!(strict.needed(20), 3);
        assert_eq!(strict.needed(41), 5);
    }

    #[test]
    fn recusal_names_the_relation_and_candidate() {
        let cands = vec![(1, "A1".to_string()), (2, "A2".to_string())];
        assert_eq!(recusal(Some(&9), &[(3, Relation::Colleague)], &cands), None);
        assert_eq!(
            recusal(Some(&9), &[(2, Relation::TeacherStudent)], &cands),
            Some(Recusal {
                relation: Relation::TeacherStudent,
                admission_no: "A2".into()
            })
        );
        assert_eq!(
            recusal(Some(&1), &[], &cands).map(|r| r.admission_no),
            Some("A1".into())
        );
    }
}
