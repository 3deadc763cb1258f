//! Training hours and credits in the skills record (技能培训电子档案, 学分累计; DESIGN
//! §3.7): a training body records a course a person completed with its hours and
//! credits; the record sums them per year and in all. Pure.

use serde::Serialize;

/// One completed course, as the sums read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    /// `YYYY-MM-DD`.
    pub completed_on: String,
    pub hours: f64,
    pub credits: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct YearTotal {
    pub year: i32,
    pub hours: f64,
    pub credits: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub hours: f64,
    pub credits: f64,
    /// Newest year first.
    pub by_year: Vec<YearTotal>,
}

/// Hours must be positive and at most a year's worth of days; credits non-negative and
/// bounded; both to a tenth.
pub const MAX_HOURS: f64 = 2000.0;
pub const MAX_CREDITS: f64 = 100.0;

/// `Err(code)` for hours or credits out of range or finer than a tenth.
pub fn check_amounts(hours: f64, credits: f64) -> Result<(), (&'static str, &'static str)> {
    let tenth = |x: f64| ((x * 10.0).round() - x * 10.0).abs() < 1e-9;
    if !hours.is_finite() || hours <= 0.0 || hours > MAX_HOURS || !tenth(hours) {
        return Err(("hours", "training_error.hours"));
    }
    if !credits.is_finite() || !(0.0..=MAX_CREDITS).contains(&credits) || !tenth(credits) {
        return Err(("credits", "training_error.credits"));
    }
    Ok(())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn totals(courses: &[Course]) -> Totals {
    let mut years: std::collections::BTreeMap<i32, (f64, f64)> = Default::default();
    for c in courses {
        let year = c
            .completed_on
            .get(..4)
            .and_then(|y| y.parse().ok())
            .unwrap_or(0);
        let e = years.entry(year).or_default();
        e.0 += c.hours;
        e.1 += c.credits;
    }
    Totals {
        hours: round1(courses.iter().map(|c| c.hours).sum()),
        credits: round1(courses.iter().map(|c| c.credits).sum()),
        by_year: years
            .into_iter()
            .rev()
            .map(|(year, (h, c))| YearTotal {
                year,
                hours: round1(h),
                credits: round1(c),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(on: &str, hours: f64, credits: f64) -> Course {
        Course {
            completed_on: on.into(),
            hours,
            credits,
        }
    }

    #[test]
    fn hours_and_credits_sum_per_year_and_in_all() {
        let t = totals(&[
            c("2025-06-01", 40.0, 2.0),
            c("2026-03-01", 16.5, 1.0),
            c("2026-09-30", 24.0, 1.5),
        ]);
        assert_eq!((t.hours, t.credits), (80.5, 4.5));
        assert_eq!(
            t.by_year[0],
            YearTotal {
                year: 2026,
                hours: 40.5,
                credits: 2.5
            }
        );
        assert_eq!(t.by_year[1].year, 2025);
        assert_eq!(totals(&[]).by_year, vec![]);
    }

    #[test]
    fn amounts_are_bounded_and_to_a_tenth() {
        assert!(check_amounts(40.0, 2.0).is_ok());
        assert!(check_amounts(0.5, 0.0).is_ok());
        assert_eq!(check_amounts(0.0, 1.0).unwrap_err().0, "hours");
        assert_eq!(check_amounts(2000.5, 1.0).unwrap_err().0, "hours");
        assert_eq!(check_amounts(1.25, 1.0).unwrap_err().0, "hours");
        assert_eq!(check_amounts(f64::NAN, 1.0).unwrap_err().0, "hours");
        assert_eq!(check_amounts(1.0, -1.0).unwrap_err().0, "credits");
        assert_eq!(check_amounts(1.0, 100.1).unwrap_err().0, "credits");
    }
}
