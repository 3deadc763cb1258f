//! Standards (认定要素细目表, DESIGN §2, §3.2): per occupation × level × mode, a tree of
//! areas whose weights sum to 100, ending in assessment points with an importance; and
//! the pool-sufficiency rules that say how far a bank is from a full national pool.

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
pub enum Mode {
    Theory,
    Skills,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Theory, Mode::Skills];

    pub fn code(self) -> &'static str {
        match self {
            Mode::Theory => "theory",
            Mode::Skills => "skills",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [Mode::Theory, Mode::Skills]
            .into_iter()
            .find(|m| m.code() == s)
    }
}

/// X core, Y general, Z auxiliary.
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
pub enum Importance {
    X,
    Y,
    Z,
}

impl Importance {
    pub const ALL: [Importance; 3] = [Importance::X, Importance::Y, Importance::Z];

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "X" | "x" => Some(Importance::X),
            "Y" | "y" => Some(Importance::Y),
            "Z" | "z" => Some(Importance::Z),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Importance::X => "X",
            Importance::Y => "Y",
            Importance::Z => "Z",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Point {
    pub code: String,
    pub name: String,
    pub importance: Importance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Area {
    pub code: String,
    pub name: String,
    /// Share of the paper, in percent; the areas of a standard sum to 100.
    pub weight: u32,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Standard {
    pub level: u8,
    pub mode: Mode,
    pub areas: Vec<Area>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StandardError {
    #[error("a standard needs at least one area")]
    NoAreas,
    #[error("area weights sum to {0}, not 100")]
    Weights(u32),
    #[error("area {0} has no assessment points")]
    EmptyArea(String),
    #[error("code {0} is used twice")]
    DuplicateCode(String),
    #[error("level {0} is not 1 to 5")]
    Level(u8),
    #[error("area {0} has weight 0")]
    ZeroWeight(String),
}

impl StandardError {
    /// The message key (under `standard_error.`) and its detail, for the interface.
    pub fn code(&self) -> (&'static str, Option<String>) {
        match self {
            StandardError::NoAreas => ("standard_error.no_areas", None),
            StandardError::Weights(n) => ("standard_error.weights", Some(n.to_string())),
            StandardError::EmptyArea(a) => ("standard_error.empty_area", Some(a.clone())),
            StandardError::DuplicateCode(c) => ("standard_error.duplicate_code", Some(c.clone())),
            StandardError::Level(l) => ("standard_error.level", Some(l.to_string())),
            StandardError::ZeroWeight(a) => ("standard_error.zero_weight", Some(a.clone())),
        }
    }
}

impl Standard {
    pub fn validate(&self) -> Result<(), StandardError> {
        if !(1..=5).contains(&self.level) {
            return Err(StandardError::Level(self.level));
        }
        if self.areas.is_empty() {
            return Err(StandardError::NoAreas);
        }
        let sum: u32 = self.areas.iter().map(|a| a.weight).sum();
        if sum != 100 {
            return Err(StandardError::Weights(sum));
        }
        let mut codes = std::collections::HashSet::new();
        for a in &self.areas {
            if a.weight == 0 {
                return Err(StandardError::ZeroWeight(a.code.clone()));
            }
            if a.points.is_empty() {
                return Err(StandardError::EmptyArea(a.code.clone()));
            }
            if !codes.insert(format!("area:{}", a.code)) {
                return Err(StandardError::DuplicateCode(a.code.clone()));
            }
            for p in &a.points {
                if !codes.insert(format!("point:{}", p.code)) {
                    return Err(StandardError::DuplicateCode(p.code.clone()));
                }
            }
        }
        Ok(())
    }

    /// The area a point belongs to.
    pub fn area_of(&self, point: &str) -> Option<&Area> {
        self.areas
            .iter()
            .find(|a| a.points.iter().any(|p| p.code == point))
    }

    /// Every assessment point code, for fast membership tests on large imports.
    pub fn point_codes(&self) -> std::collections::HashSet<&str> {
        self.areas
            .iter()
            .flat_map(|a| a.points.iter().map(|p| p.code.as_str()))
            .collect()
    }

    pub fn point_count(&self) -> usize {
        self.areas.iter().map(|a| a.points.len()).sum()
    }
}

/// Pool-sufficiency thresholds *(config)*: at least `min_items_per_point` items per
/// assessment point; for theory, at least `points_per_weight` × weight assessment points
/// per area and `min_points_per_level` per level. A "premium" bank uses 3 × and 300.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sufficiency {
    pub min_items_per_point: u32,
    pub points_per_weight: u32,
    pub min_points_per_level: u32,
}

impl Default for Sufficiency {
    fn default() -> Self {
        Sufficiency {
            min_items_per_point: 4,
            points_per_weight: 2,
            min_points_per_level: 200,
        }
    }
}

impl Sufficiency {
    pub const PREMIUM: Sufficiency = Sufficiency {
        min_items_per_point: 4,
        points_per_weight: 3,
        min_points_per_level: 300,
    };
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PointReport {
    pub code: String,
    pub name: String,
    pub importance: Importance,
    pub items: u32,
    pub required: u32,
    pub shortfall: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AreaReport {
    pub code: String,
    pub name: String,
    pub weight: u32,
    pub items: u32,
    pub points: u32,
    /// Assessment points this area should have (theory only; 0 for skills).
    pub points_required: u32,
    pub points_shortfall: u32,
    /// Points of this area with fewer items than required.
    pub thin_points: u32,
    pub point_reports: Vec<PointReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PoolReport {
    pub level: u8,
    pub mode: Mode,
    pub items: u32,
    pub points: u32,
    pub points_required: u32,
    pub points_shortfall: u32,
    /// Items still to write for every point to reach its minimum.
    pub items_shortfall: u32,
    pub sufficient: bool,
    pub areas: Vec<AreaReport>,
}

/// How far a standard's pool is from the thresholds. `active_items(point)` counts the
/// active items of a point.
pub fn pool_report(
    std: &Standard,
    rules: Sufficiency,
    active_items: impl Fn(&str) -> u32,
) -> PoolReport {
    let theory = std.mode == Mode::Theory;
    let mut areas = Vec::new();
    for a in &std.areas {
        let point_reports: Vec<PointReport> = a
            .points
            .iter()
            .map(|p| {
                let items = active_items(&p.code);
                PointReport {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    importance: p.importance,
                    items,
                    required: rules.min_items_per_point,
                    shortfall: rules.min_items_per_point.saturating_sub(items),
                }
            })
            .collect();
        let points = a.points.len() as u32;
        let points_required = if theory {
            rules.points_per_weight * a.weight
        } else {
            0
        };
        areas.push(AreaReport {
            code: a.code.clone(),
            name: a.name.clone(),
            weight: a.weight,
            items: point_reports.iter().map(|p| p.items).sum(),
            points,
            points_required,
            points_shortfall: points_required.saturating_sub(points),
            thin_points: point_reports.iter().filter(|p| p.shortfall > 0).count() as u32,
            point_reports,
        });
    }
    let points: u32 = areas.iter().map(|a| a.points).sum();
    let points_required = if theory {
        rules.min_points_per_level
    } else {
        0
    };
    let items_shortfall: u32 = areas
        .iter()
        .flat_map(|a| &a.point_reports)
        .map(|p| p.shortfall)
        .sum();
    let area_points_short: u32 = areas.iter().map(|a| a.points_shortfall).sum();
    let points_shortfall = points_required
        .saturating_sub(points)
        .max(area_points_short);
    PoolReport {
        level: std.level,
        mode: std.mode,
        items: areas.iter().map(|a| a.items).sum(),
        points,
        points_required,
        points_shortfall,
        items_shortfall,
        sufficient: points_shortfall == 0 && items_shortfall == 0,
        areas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std2() -> Standard {
        let p = |c: &str| Point {
            code: c.into(),
            name: c.into(),
            importance: Importance::X,
        };
        Standard {
            level: 5,
            mode: Mode::Theory,
            areas: vec![
                Area {
                    code: "A".into(),
                    name: "A".into(),
                    weight: 30,
                    points: vec![p("A01"), p("A02")],
                },
                Area {
                    code: "B".into(),
                    name: "B".into(),
                    weight: 70,
                    points: vec![p("B01")],
                },
            ],
        }
    }

    #[test]
    fn weights_must_sum_to_100_and_codes_be_unique() {
        assert!(std2().validate().is_ok());
        let mut s = std2();
        s.areas[1].weight = 60;
        assert_eq!(s.validate(), Err(StandardError::Weights(90)));
        let mut s = std2();
        s.areas[1].points[0].code = "A01".into();
        assert_eq!(
            s.validate(),
            Err(StandardError::DuplicateCode("A01".into()))
        );
    }

    #[test]
    fn the_report_names_every_shortfall() {
        let r = pool_report(&std2(), Sufficiency::default(), |p| {
            if p == "A01" {
                5
            } else {
                1
            }
        });
        assert_eq!(r.items, 7);
        assert_eq!(r.items_shortfall, 3 + 3);
        assert_eq!(r.areas[0].points_required, 60);
        assert_eq!(r.areas[0].points_shortfall, 58);
        assert_eq!(r.areas[0].thin_points, 1);
        assert_eq!(r.points_required, 200);
        assert!(!r.sufficient);
        // Premium rules ask for more.
        let p = pool_report(&std2(), Sufficiency::PREMIUM, |_| 10);
        assert_eq!(p.areas[1].points_required, 210);
        assert_eq!(p.items_shortfall, 0);
    }
}
