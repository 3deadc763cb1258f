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
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::store::plans::Plan;

mod flags;
use flags::flags;

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
