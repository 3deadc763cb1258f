//! The regulator's outlier flags for a period (`domain::outliers`), each with its
//! evidence and the plan where an inspection is opened.

use std::collections::HashMap;

use super::{link, Flag, Period, PlanFigures};
use crate::app::{App, Result};
use crate::domain::outliers::{
    assessor_deviations, pass_rate_outliers, similar_pairs, volume_outliers, AssessorFlag,
    BodyRate, PairFlag, PanelMark, RateFlag, RoomAttempt, VolumeFlag,
};
use crate::store::plans::Plan;

const DAY_MS: i64 = 86_400_000;

/// The regulator's flags for the period.
pub(super) async fn flags(
    app: &App,
    period: Period,
    figures: &[PlanFigures],
    all_plans: &[Plan],
    bodies: &HashMap<i64, crate::store::Org>,
) -> Result<Vec<Flag>> {
    let mut out = Vec::new();
    let body_name = |id: i64| {
        bodies
            .get(&id)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let latest_plan = |body: i64| {
        figures
            .iter()
            .filter(|f| f.plan.body_id == body)
            .max_by_key(|f| f.plan.id)
            .map(|f| f.plan.id)
    };
    // Pass rates against peers, per occupation and level.
    let mut rates: HashMap<(i64, String), BodyRate> = HashMap::new();
    for f in figures {
        let group = format!("{} / {}", f.plan.occupation_code, f.plan.level);
        let r = rates
            .entry((f.plan.body_id, group.clone()))
            .or_insert(BodyRate {
                body_id: f.plan.body_id,
                group,
                sat: 0,
                passed: 0,
            });
        r.sat += f.sat;
        r.passed += f.passed;
    }
    let rows: Vec<BodyRate> = rates.into_values().collect();
    for RateFlag {
        body_id,
        group,
        rate,
        peer_rate,
        z,
        sat,
    } in pass_rate_outliers(&rows, 0.2, 3.0, 20)
    {
        let plan = latest_plan(body_id);
        out.push(Flag {
            kind: "pass_rate".into(),
            subject: body_name(body_id),
            detail: format!(
                "{group}：{sat} 人参考，合格率 {:.0}%，同类机构 {:.0}%（z = {z:.1}）",
                rate * 100.0,
                peer_rate * 100.0
            ),
            detail_en: format!(
                "{group}: {:.0}% of {sat} passed, peers {:.0}% (z = {z:.1})",
                rate * 100.0,
                peer_rate * 100.0
            ),
            evidence: plan
                .map(|p| vec![link("plan", format!("/plans/{p}/results"), format!("#{p}"))])
                .unwrap_or_default(),
            open_inspection: plan.map(|p| format!("/plans/{p}")),
            body_id: Some(body_id),
        });
    }
    // Certificate volume: the period's last two months against the twelve before.
    let (_, end) = period.range();
    let end_ms = crate::domain::time::parse_date(&end)
        .map(|d| (d.midnight().assume_utc().unix_timestamp() - 8 * 3600) * 1000)
        .unwrap_or_else(crate::now_ms)
        // The current period has not ended: its last two months end today.
        .min(crate::now_ms());
    let window = 61 * DAY_MS;
    let recent_from = end_ms - window;
    let baseline_from = recent_from - 6 * window;
    let mut volume: HashMap<i64, (u32, u32)> = HashMap::new();
    for plan in all_plans {
        for c in app.store.plan_certificates(plan.id).await? {
            let e = volume.entry(c.body_id).or_default();
            if (recent_from..end_ms).contains(&c.issued_at_ms) {
                e.0 += 1;
            } else if (baseline_from..recent_from).contains(&c.issued_at_ms) {
                e.1 += 1;
            }
        }
    }
    let rows: Vec<(i64, u32, u32)> = volume
        .into_iter()
        .map(|(b, (r, base))| (b, r, base))
        .collect();
    for VolumeFlag {
        body_id,
        recent,
        expected,
        ratio,
    } in volume_outliers(&rows, 6.0, 10.0, 50)
    {
        let name = match bodies.get(&body_id) {
            Some(b) => b.name.clone(),
            None => app
                .store
                .org(body_id)
                .await
                .map(|o| o.name)
                .unwrap_or_default(),
        };
        let plan = latest_plan(body_id);
        out.push(Flag {
            kind: "volume".into(),
            subject: name,
            detail: format!(
                "近两个月发证 {recent} 张，是此前一年同期水平（{expected:.1}）的 {ratio:.0} 倍"
            ),
            detail_en: format!(
                "{recent} certificates in two months, {ratio:.0}× the {expected:.1} its past year predicts"
            ),
            evidence: vec![link("ledger", format!("/credit/body/{body_id}"), "")],
            open_inspection: plan.map(|p| format!("/plans/{p}")),
            body_id: Some(body_id),
        });
    }
    // Assessors against their panels.
    let mut panel_marks = Vec::new();
    let mut assessor_plans: HashMap<i64, i64> = HashMap::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    for f in figures {
        let marks = app.store.plan_marks(f.plan.id).await?;
        let mut tasks: HashMap<(i64, u32), Vec<&crate::store::marking::MarkRow>> = HashMap::new();
        for m in marks.iter().filter(|m| m.status == "active") {
            tasks.entry((m.attempt_id, m.position)).or_default().push(m);
            assessor_plans.insert(m.assessor_id, f.plan.id);
            names.insert(m.assessor_id, m.assessor_name.clone());
        }
        for group in tasks.values() {
            for m in group {
                panel_marks.push(PanelMark {
                    assessor_id: m.assessor_id,
                    points: m.points,
                    max_points: m.max_points,
                    others: group
                        .iter()
                        .filter(|o| o.id != m.id)
                        .map(|o| o.points)
                        .collect(),
                });
            }
        }
    }
    for AssessorFlag {
        assessor_id,
        marks,
        mean_deviation,
        t,
    } in assessor_deviations(&panel_marks, 5, 0.15, 3.0)
    {
        let plan = assessor_plans.get(&assessor_id).copied();
        out.push(Flag {
            kind: "assessor".into(),
            subject: names.get(&assessor_id).cloned().unwrap_or_default(),
            detail: format!(
                "{marks} 次评分，平均偏离同组其他考评员 {:+.0}% 分值（t = {t:.1}）",
                mean_deviation * 100.0
            ),
            detail_en: format!(
                "{marks} marks, {:+.0}% of the points off the rest of the panel (t = {t:.1})",
                mean_deviation * 100.0
            ),
            evidence: vec![link(
                "ledger",
                format!("/credit/assessor/{assessor_id}"),
                "",
            )],
            open_inspection: plan.map(|p| format!("/plans/{p}")),
            body_id: plan
                .and_then(|p| figures.iter().find(|f| f.plan.id == p))
                .map(|f| f.plan.body_id),
        });
    }
    // Pairs in one room.
    for f in figures {
        let mut rooms: HashMap<i64, Vec<RoomAttempt>> = HashMap::new();
        for (attempt_id, session, responses) in app.store.session_responses(f.plan.id).await? {
            rooms.entry(session).or_default().push(RoomAttempt {
                attempt_id,
                responses,
            });
        }
        for (session, room) in rooms {
            for PairFlag {
                attempts,
                identical_wrong,
                expected,
                p,
            } in similar_pairs(&room, 5, 1e-5)
            {
                out.push(Flag {
                    kind: "similar_answers".into(),
                    subject: format!("#{} · #{}", attempts.0, attempts.1),
                    detail: format!(
                        "同一考场，{identical_wrong} 道题错选相同选项，随机预期 {expected:.1}（p = {p:.1e}）"
                    ),
                    detail_en: format!(
                        "{identical_wrong} identical wrong answers in one room where chance gives {expected:.1} (p = {p:.1e})"
                    ),
                    evidence: vec![
                        link("session", format!("/inspect/plans/{}", f.plan.id), format!("#{session}")),
                        link("plan", format!("/plans/{}/results", f.plan.id), format!("#{}", f.plan.id)),
                    ],
                    open_inspection: Some(format!("/plans/{}", f.plan.id)),
                    body_id: Some(f.plan.body_id),
                });
            }
        }
    }
    Ok(out)
}
