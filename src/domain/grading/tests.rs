use proptest::prelude::*;
use serde_json::json;

use super::score::choice_fraction;
use super::*;
use crate::domain::item::{Answer, Choice, ItemContent, ItemType};

fn item(t: ItemType, options: usize, answer: Answer) -> ItemContent {
    ItemContent {
        item_type: t,
        stem: "stem".into(),
        options: (0..options)
            .map(|i| Choice {
                key: crate::domain::item::option_key(i),
                text: format!("option {i}"),
            })
            .collect(),
        answer,
        reference: None,
        rubric: vec![],
        explanation: None,
        difficulty: 3,
        score: 1.0,
    }
}

fn keys(k: &[&str]) -> Answer {
    Answer::Keys(k.iter().map(|s| s.to_string()).collect())
}

fn at(
    c: &ItemContent,
    order: &[u8],
    answer: serde_json::Value,
    partial: PartialCredit,
) -> ItemScore {
    score_item(
        &Scoring {
            position: 0,
            content: c,
            points: 2.0,
            option_order: order,
            answer: Some(&answer),
        },
        partial,
    )
}

const NONE: PartialCredit = PartialCredit::None;
const HALF: PartialCredit = PartialCredit::HalfForSubset;

#[test]
fn true_false_and_single_choice_are_exact_through_the_shuffle() {
    let tf = item(ItemType::TrueFalse, 0, Answer::TrueFalse(false));
    assert_eq!(at(&tf, &[], json!(false), NONE).outcome, Outcome::Correct);
    assert_eq!(at(&tf, &[], json!(true), NONE).points, 0.0);
    assert_eq!(at(&tf, &[], json!(null), NONE).outcome, Outcome::Blank);
    // Key C; shown order C, A, D, B: the candidate sees C first and picks shown 0.
    let sc = item(ItemType::SingleChoice, 4, keys(&["C"]));
    let order = [2, 0, 3, 1];
    let right = at(&sc, &order, json!([0]), NONE);
    assert_eq!((right.outcome, right.points), (Outcome::Correct, 2.0));
    assert_eq!(at(&sc, &order, json!([2]), NONE).outcome, Outcome::Wrong);
    // A position beyond the options is wrong, never a panic.
    assert_eq!(at(&sc, &order, json!([9]), NONE).outcome, Outcome::Wrong);
}

#[test]
fn multiple_choice_all_or_nothing_or_half_for_a_clean_subset() {
    let mc = item(ItemType::MultipleChoice, 5, keys(&["A", "C", "E"]));
    assert_eq!(
        at(&mc, &[], json!([4, 0, 2]), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(at(&mc, &[], json!([0, 2]), NONE).points, 0.0);
    let half = at(&mc, &[], json!([0, 2]), HALF);
    assert_eq!((half.outcome, half.points), (Outcome::Partial, 1.0));
    // A wrong option spoils the subset.
    assert_eq!(at(&mc, &[], json!([0, 1]), HALF).points, 0.0);
    assert_eq!(at(&mc, &[], json!([0, 1, 2, 4]), HALF).points, 0.0);
    // Single choice never gets half.
    assert_eq!(
        choice_fraction(ItemType::SingleChoice, &["A".into()], &[], HALF),
        0.0
    );
}

#[test]
fn fill_in_matches_after_normalisation() {
    let f = item(
        ItemType::FillIn,
        0,
        Answer::Accepted(vec!["PE 线".into(), "保护接地线".into()]),
    );
    assert_eq!(
        at(&f, &[], json!("  ｐｅ　 线 "), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(
        at(&f, &[], json!("保护接地线"), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(at(&f, &[], json!("N 线"), NONE).outcome, Outcome::Wrong);
    assert_eq!(normalise_text("Ａ，Ｂ；Ｃ"), "a,b;c");
}

#[test]
fn numerical_within_the_tolerance() {
    let n = item(
        ItemType::Numerical,
        0,
        Answer::Numerical {
            value: 220.0,
            tolerance: 5.0,
        },
    );
    assert_eq!(at(&n, &[], json!("224.9"), NONE).outcome, Outcome::Correct);
    assert_eq!(at(&n, &[], json!("２１５"), NONE).outcome, Outcome::Correct);
    assert_eq!(at(&n, &[], json!("225.5"), NONE).outcome, Outcome::Wrong);
    let big = item(
        ItemType::Numerical,
        0,
        Answer::Numerical {
            value: 1000.0,
            tolerance: 0.0,
        },
    );
    assert_eq!(
        at(&big, &[], json!("1,000"), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(
        at(&n, &[], json!("about 220"), NONE).outcome,
        Outcome::Wrong
    );
    assert_eq!(at(&n, &[], json!("NaN"), NONE).outcome, Outcome::Wrong);
}

#[test]
fn matching_by_pairs_and_ordering_by_keys() {
    let pairs = vec![
        ("红".to_string(), "火线".to_string()),
        ("蓝".to_string(), "零线".to_string()),
        ("黄绿".to_string(), "地线".to_string()),
    ];
    let m = item(ItemType::Matching, 0, Answer::Pairs(pairs));
    assert_eq!(
        at(&m, &[], json!(["火线", "零线", "地线"]), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(
        at(&m, &[], json!("红-火线\n蓝：零线；C=地线"), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(
        at(&m, &[], json!(["火线", "地线", "零线"]), NONE).points,
        0.0
    );
    let part = at(&m, &[], json!(["火线", "地线", "零线"]), HALF);
    assert_eq!((part.outcome, part.points), (Outcome::Partial, 0.67));

    let o = item(
        ItemType::Ordering,
        4,
        Answer::Order(vec!["B".into(), "D".into(), "A".into(), "C".into()]),
    );
    assert_eq!(at(&o, &[], json!("BDAC"), NONE).outcome, Outcome::Correct);
    assert_eq!(
        at(&o, &[], json!("b, d, a, c"), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(
        at(&o, &[], json!([1, 3, 0, 2]), NONE).outcome,
        Outcome::Correct
    );
    assert_eq!(at(&o, &[], json!("BDCA"), NONE).outcome, Outcome::Wrong);
    assert_eq!(at(&o, &[], json!("BDAX"), NONE).outcome, Outcome::Wrong);
    // Shown order D, C, B, A: the right order is shown as C, A, D, B.
    assert_eq!(
        at(&o, &[3, 2, 1, 0], json!("CADB"), NONE).outcome,
        Outcome::Correct
    );
}

#[test]
fn assessed_items_wait_for_the_panel() {
    let e = item(ItemType::Essay, 0, Answer::Assessed);
    let s = at(&e, &[], json!("my essay"), NONE);
    assert_eq!(
        (s.outcome, s.points, s.max_points),
        (Outcome::Pending, 0.0, 2.0)
    );
}

#[test]
fn deductions_lower_the_theory_score_and_a_void_fails_it() {
    let clean = theory_result(72.0, 100.0, 0, false, &[], 60.0);
    assert_eq!((clean.score, clean.passed), (72.0, true));
    let warned = theory_result(
        72.0,
        100.0,
        0,
        false,
        &[
            (IrregularityOutcome::Warning, 0.0),
            (IrregularityOutcome::Deduction, 10.0),
        ],
        60.0,
    );
    assert_eq!(
        (warned.score, warned.deducted, warned.passed),
        (62.0, 10.0, true)
    );
    let twice = theory_result(
        65.0,
        100.0,
        0,
        false,
        &[(IrregularityOutcome::Deduction, 10.0)],
        60.0,
    );
    assert!(!twice.passed);
    let void = theory_result(
        95.0,
        100.0,
        0,
        false,
        &[(IrregularityOutcome::Void, 0.0)],
        60.0,
    );
    assert_eq!((void.score, void.passed, void.void), (0.0, false, true));
    // Out of 100 whatever the paper's total; pending essays keep it open.
    // The pass is decided in points: 179.99 of 300 shows as 60 but does not pass 180.
    let close = theory_result(179.99, 300.0, 0, false, &[], 180.0);
    assert_eq!((close.score, close.passed), (60.0, false));
    let scaled = theory_result(30.0, 50.0, 0, false, &[], 30.0);
    assert_eq!(
        (scaled.score, scaled.pass_mark, scaled.passed),
        (60.0, 60.0, true)
    );
    assert!(!theory_result(90.0, 100.0, 1, false, &[], 60.0).passed);
    // A panel's veto fails the component whatever the points.
    let vetoed = theory_result(90.0, 100.0, 0, true, &[], 60.0);
    assert!(!vetoed.passed && vetoed.vetoed);
    assert_eq!(
        theory_result(
            5.0,
            100.0,
            0,
            false,
            &[(IrregularityOutcome::Deduction, 10.0)],
            60.0
        )
        .score,
        0.0
    );
}

#[test]
fn a_candidate_never_admitted_is_absent_once_late_entry_closes() {
    use crate::domain::exam::AttemptStatus;
    assert!(!is_absent(Some(AttemptStatus::Ready), 1_000, 500, 1_500));
    assert!(is_absent(Some(AttemptStatus::Ready), 1_000, 500, 1_501));
    // Admitted or under way: not absent, whatever the time.
    assert!(!is_absent(Some(AttemptStatus::Admitted), 1_000, 500, 9_999));
    // No attempt yet (roster not closed): not absent.
    assert!(!is_absent(None, 1_000, 500, 9_999));
}

#[test]
fn reviews_adjust_within_the_paper_and_only_inside_the_window() {
    assert_eq!(reviewed_points(58.0, 4.0, 100.0), 62.0);
    assert_eq!(reviewed_points(98.0, 4.0, 100.0), 100.0);
    assert_eq!(reviewed_points(2.0, -4.0, 100.0), 0.0);
    assert!(review_open(Some((0, 10)), 9));
    assert!(!review_open(Some((0, 10)), 10));
    assert!(!review_open(None, 0));
}

proptest! {
    /// Whatever the candidate saves, a position scores between 0 and its points, the
    /// outcome agrees with the points, and the key itself always scores full marks.
    #[test]
    fn scores_stay_in_bounds_and_the_key_scores_full(
        n in 2usize..8,
        key_bits in 1u32..255,
        chosen in proptest::collection::vec(0u64..10, 0..8),
        shuffle in proptest::collection::vec(any::<u8>(), 8),
        half in any::<bool>(),
    ) {
        let keys_: Vec<String> = (0..n).filter(|i| key_bits & (1 << i) != 0)
            .map(crate::domain::item::option_key).collect();
        prop_assume!(!keys_.is_empty());
        let t = if keys_.len() == 1 { ItemType::SingleChoice } else { ItemType::MultipleChoice };
        let c = item(t, n, Answer::Keys(keys_.clone()));
        // A permutation of 0..n from the random bytes.
        let mut order: Vec<u8> = (0..n as u8).collect();
        order.sort_by_key(|i| shuffle[usize::from(*i)]);
        let partial = if half { HALF } else { NONE };
        let s = at(&c, &order, json!(chosen), partial);
        prop_assert!(s.points >= 0.0 && s.points <= s.max_points);
        prop_assert_eq!(s.points == s.max_points, s.outcome == Outcome::Correct);
        // The key, as shown positions.
        let shown: Vec<usize> = (0..n).filter(|&p| keys_.contains(
            &crate::domain::item::option_key(usize::from(order[p])))).collect();
        prop_assert_eq!(at(&c, &order, json!(shown), partial).outcome, Outcome::Correct);
    }

    #[test]
    fn normalising_is_idempotent(s in "\\PC{0,40}") {
        let once = normalise_text(&s);
        prop_assert_eq!(normalise_text(&once), once);
    }
}
