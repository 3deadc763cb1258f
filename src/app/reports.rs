//! Quarterly and annual statistics (季报, 年报; DESIGN §3.8) by occupation, level, body
//! and city: candidates, sittings, passes and pass rates, certificates, subsidies; and,
//! for the regulator, the outliers that send an inspector (`domain::outliers`): bodies
//! with pass rates far above their peers, bodies issuing many times their baseline,
//! assessors who mark systematically off their panels, and pairs of candidates in one
//! room with improbably many identical wrong answers. Each flag names its evidence
//! (the plan, the session, the attempts) and links to where an inspection is opened.
//!
//! A body's admins see their own body's figures and no flags (flags compare a body with
//! its peers, whose figures they may not see); the regulator sees everything.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{App, Error, Result};
use crate::domain::outliers::{
    assessor_deviations, pass_rate_outliers, similar_pairs, volume_outliers, AssessorFlag,
    BodyRate, PairFlag, PanelMark, RateFlag, RoomAttempt, VolumeFlag,
};
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::store::plans::Plan;

/// A reporting period: a year, or a quarter of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub year: i32,
    /// 1–4, or `None` for the whole year.
    pub quarter: Option<u8>,
}

impl Period {
    /// `2026` or `2026Q3` (also `2026-Q3`, `2026q3`).
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim().to_ascii_uppercase().replace('-', "");
        let (y, q) = match s.split_once('Q') {
            Some((y, q)) => (
                y,
                Some(q.parse::<u8>().ok().filter(|q| (1..=4).contains(q))?),
            ),
            None => (s.as_str(), None),
        };
        let year: i32 = y.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        Some(Period { year, quarter: q })
    }

    pub fn label(&self) -> String {
        match self.quarter {
            Some(q) => format!("{}Q{q}", self.year),
            None => self.year.to_string(),
        }
    }

    /// First day and the day after the last, as `YYYY-MM-DD` (exam dates compare as
    /// text).
    pub fn range(&self) -> (String, String) {
        let (from, to) = match self.quarter {
            Some(q) => (3 * (q - 1) + 1, 3 * q + 1),
            None => (1, 13),
        };
        let start = format!("{:04}-{:02}-01", self.year, from);
        let end = if to == 13 {
            format!("{:04}-01-01", self.year + 1)
        } else {
            format!("{:04}-{:02}-01", self.year, to)
        };
        (start, end)
    }
}

/// The cities of Jiangsu by the first four digits of a site code (GB/T 2260), the
/// province this service is first deployed in; other codes show as digits.
fn city_name(code: &str) -> String {
    let name = match code {
        "3201" => "南京市",
        "3202" => "无锡市",
        "3203" => "徐州市",
        "3204" => "常州市",
        "3205" => "苏州市",
        "3206" => "南通市",
        "3207" => "连云港市",
        "3208" => "淮安市",
        "3209" => "盐城市",
        "3210" => "扬州市",
        "3211" => "镇江市",
        "3212" => "泰州市",
        "3213" => "宿迁市",
        _ => "",
    };
    match name {
        "" => code.to_string(),
        n => format!("{n}（{code}）"),
    }
}

/// One line of a report.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub plans: u32,
    /// Enrolled.
    pub candidates: u32,
    /// Sat the theory component (scored, not absent).
    pub sat: u32,
    pub passed: u32,
    /// Passes among those who sat; `None` when nobody sat.
    pub pass_rate: Option<f64>,
    pub certificates: u32,
    pub subsidies: u32,
    pub subsidy_yuan: f64,
}

impl Row {
    fn finish(&mut self) {
        self.pass_rate = (self.sat > 0).then(|| f64::from(self.passed) / f64::from(self.sat));
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    /// `plan`, `session` or `ledger`: what the link opens.
    pub kind: String,
    pub href: String,
    /// The object's number, if any.
    pub label: String,
}

fn link(kind: &str, href: String, label: impl Into<String>) -> Link {
    Link {
        kind: kind.into(),
        href,
        label: label.into(),
    }
}

/// A flag with the names and links a person needs to act on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Flag {
    /// `pass_rate`, `volume`, `assessor`, `similar_answers`.
    pub kind: String,
    pub subject: String,
    /// What the figures say, in numbers (Chinese, then English).
    pub detail: String,
    pub detail_en: String,
    /// Where the evidence is (a plan's results, a session, a ledger).
    pub evidence: Vec<Link>,
    /// Where an inspection is opened: the plan page, where the regulator dispatches an
    /// inspector.
    pub open_inspection: Option<String>,
    /// The body the flag concerns, when it concerns one (inspection sampling weighs it).
    pub body_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodReport {
    pub period: Period,
    pub label: String,
    /// The body's name for a body's report, empty for the province.
    pub scope: String,
    pub totals: Row,
    pub by_occupation: Vec<Row>,
    pub by_level: Vec<Row>,
    pub by_body: Vec<Row>,
    pub by_city: Vec<Row>,
    pub flags: Vec<Flag>,
}

/// The bodies whose figures the caller may see: all (regulator, inspectors) or the
/// bodies they administer.
fn bodies_of(p: &Principal) -> Option<HashSet<i64>> {
    if p.is_regulator_admin() || p.has_role(Role::QualityInspector) {
        return None;
    }
    Some(
        p.grants
            .iter()
            .filter(|g| g.role == Role::BodyAdmin)
            .filter_map(|g| g.org.body_id)
            .collect(),
    )
}

struct PlanFigures {
    plan: Plan,
    candidates: u32,
    sat: u32,
    passed: u32,
    certificates: u32,
    subsidies: u32,
    subsidy_cents: i64,
}

pub async fn report(app: &App, p: &Principal, period: Period) -> Result<PeriodReport> {
    let visible = bodies_of(p);
    if visible.as_ref().is_some_and(HashSet::is_empty) {
        return Err(Error::Forbidden);
    }
    let (from, to) = period.range();
    let mut bodies: HashMap<i64, crate::store::Org> = HashMap::new();
    let all_plans = app.store.plans(None).await?;
    let in_scope = |plan: &Plan| visible.as_ref().is_none_or(|v| v.contains(&plan.body_id));
    let plans: Vec<Plan> = all_plans
        .iter()
        .filter(|pl| {
            in_scope(pl)
                && pl.exam_date.as_str() >= from.as_str()
                && pl.exam_date.as_str() < to.as_str()
        })
        .cloned()
        .collect();
    // Subsidies by certificate, for the plans' certificates.
    let grants = app.store.subsidies(None, i64::MAX).await?;
    let grant_of: HashMap<i64, i64> = grants
        .iter()
        .map(|g| (g.certificate_id, g.amount_cents))
        .collect();
    let mut figures = Vec::with_capacity(plans.len());
    for plan in plans {
        if let std::collections::hash_map::Entry::Vacant(e) = bodies.entry(plan.body_id) {
            e.insert(app.store.org(plan.body_id).await?);
        }
        let results = super::grading::derive(app, &plan).await?;
        let certs = app.store.plan_certificates(plan.id).await?;
        let subsidised: Vec<i64> = certs
            .iter()
            .filter_map(|c| grant_of.get(&c.id).copied())
            .collect();
        figures.push(PlanFigures {
            candidates: results.candidates.len() as u32,
            sat: results
                .candidates
                .iter()
                .filter(|c| c.theory.is_some() && !c.absent)
                .count() as u32,
            passed: results.passed as u32,
            certificates: certs.len() as u32,
            subsidies: subsidised.len() as u32,
            subsidy_cents: subsidised.iter().sum(),
            plan,
        });
    }
    let mut totals = Row {
        key: "all".into(),
        label: period.label(),
        ..Default::default()
    };
    let mut groups: [BTreeMap<String, Row>; 4] = Default::default();
    for f in &figures {
        let body = &bodies[&f.plan.body_id];
        let city = body
            .site_code
            .as_deref()
            .map(|s| s.chars().take(4).collect::<String>())
            .unwrap_or_default();
        let keys = [
            (
                f.plan.occupation_code.clone(),
                format!("{} {}", f.plan.occupation_code, f.plan.occupation_name),
            ),
            (f.plan.level.to_string(), f.plan.level.to_string()),
            (body.id.to_string(), body.name.clone()),
            (city.clone(), city_name(&city)),
        ];
        for (g, (key, label)) in groups.iter_mut().zip(keys) {
            let row = g.entry(key.clone()).or_insert_with(|| Row {
                key,
                label,
                ..Default::default()
            });
            add(row, f);
        }
        add(&mut totals, f);
    }
    totals.finish();
    let [by_occupation, by_level, by_body, by_city] = groups.map(|g| {
        g.into_values()
            .map(|mut r| {
                r.finish();
                r
            })
            .collect::<Vec<_>>()
    });
    let flags = if visible.is_none() {
        flags(app, period, &figures, &all_plans, &bodies).await?
    } else {
        Vec::new()
    };
    let scope = match &visible {
        Some(v) if v.len() == 1 => bodies
            .values()
            .find(|b| v.contains(&b.id))
            .map(|b| b.name.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(PeriodReport {
        label: period.label(),
        period,
        scope,
        totals,
        by_occupation,
        by_level,
        by_body,
        by_city,
        flags,
    })
}

fn add(row: &mut Row, f: &PlanFigures) {
    row.plans += 1;
    row.candidates += f.candidates;
    row.sat += f.sat;
    row.passed += f.passed;
    row.certificates += f.certificates;
    row.subsidies += f.subsidies;
    row.subsidy_yuan += f.subsidy_cents as f64 / 100.0;
}

const DAY_MS: i64 = 86_400_000;

/// The regulator's flags for the period.
async fn flags(
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

/// The report as a workbook: totals and one sheet per dimension, then the flags.
pub fn workbook(r: &PeriodReport) -> std::result::Result<Vec<u8>, String> {
    use crate::formats::report::{sheets_xlsx, Cell, Sheet};
    let headings: Vec<String> = [
        "分组",
        "计划数",
        "报名人数",
        "参考人数",
        "合格人数",
        "合格率",
        "发证数",
        "补贴人次",
        "补贴金额（元）",
    ]
    .map(String::from)
    .to_vec();
    let rows = |rows: &[Row]| -> Vec<Vec<Cell>> {
        rows.iter()
            .map(|r| {
                vec![
                    Cell::Text(r.label.clone()),
                    Cell::Number(f64::from(r.plans)),
                    Cell::Number(f64::from(r.candidates)),
                    Cell::Number(f64::from(r.sat)),
                    Cell::Number(f64::from(r.passed)),
                    r.pass_rate.map_or(Cell::Empty, Cell::Number),
                    Cell::Number(f64::from(r.certificates)),
                    Cell::Number(f64::from(r.subsidies)),
                    Cell::Number(r.subsidy_yuan),
                ]
            })
            .collect()
    };
    let sheet = |name: &str, data: &[Row]| Sheet {
        name: name.into(),
        headings: headings.clone(),
        rows: rows(data),
    };
    let mut sheets = vec![
        sheet("合计", std::slice::from_ref(&r.totals)),
        sheet("按职业", &r.by_occupation),
        sheet("按等级", &r.by_level),
        sheet("按机构", &r.by_body),
        sheet("按地市", &r.by_city),
    ];
    if !r.flags.is_empty() {
        sheets.push(Sheet {
            name: "异常提示".into(),
            headings: ["类型", "对象", "情况"].map(String::from).to_vec(),
            rows: r
                .flags
                .iter()
                .map(|f| {
                    vec![
                        Cell::Text(f.kind.clone()),
                        Cell::Text(f.subject.clone()),
                        Cell::Text(f.detail.clone()),
                    ]
                })
                .collect(),
        });
    }
    let title = match r.scope.as_str() {
        "" => format!("职业技能评价统计 {}", r.label),
        s => format!("{s} 职业技能评价统计 {}", r.label),
    };
    sheets_xlsx(&title, &sheets)
}
