//! The routes of oversight (DESIGN §3.8): credit ledgers, the regulator's desk,
//! inspectors' proposals, appeals, the public catalogue of bodies, and item analysis
//! (pages and API).
//! Part of the one route table ([`super::table`]).

use super::{
    get, post, RouteSpec, BANK_USERS, INSPECTORS, PLAN_VIEWERS, PUBLIC, REGULATOR_ONLY, SIGNED_IN,
};
use crate::domain::policy::RoutePolicy;
use crate::domain::role::Role;
use crate::web::{api, pages};

/// Who reads period statistics: the regulator and inspectors (all bodies, with flags)
/// and body admins (their own body).
const REPORT_READERS: RoutePolicy = RoutePolicy::AnyRole(&[
    Role::RegulatorAdmin,
    Role::QualityInspector,
    Role::BodyAdmin,
]);

/// The regulator's desk: its officers, and inspectors (who read it).
const OVERSIGHT: RoutePolicy =
    RoutePolicy::AnyRole(&[Role::RegulatorAdmin, Role::QualityInspector]);

pub(super) fn routes() -> Vec<RouteSpec> {
    use api::credit as a_credit;
    use pages::credit as p_credit;
    vec![
        get("/reports", REPORT_READERS, pages::reports::show),
        get("/reports/export", REPORT_READERS, pages::reports::export),
        get("/api/v1/reports", REPORT_READERS, api::stats::report)
            .api("statistics", "Quarterly or annual statistics (?period=2026 or 2026Q4) by occupation, level, body and city, with the regulator's outlier flags")
            .res::<crate::app::reports::PeriodReport>(),
        get("/api/v1/reports/export", REPORT_READERS, pages::reports::export)
            .api("statistics", "The same report as XLSX (?period=…)"),
        get("/banks/{id}/stats", BANK_USERS, pages::stats::bank),
        get("/plans/{id}/item-stats", PLAN_VIEWERS, pages::stats::plan),
        get("/api/v1/banks/{id}/item-stats", BANK_USERS, api::stats::bank)
            .api("statistics", "Item analysis across every plan that drew on the bank: difficulty, discrimination, options, exposure, KR-20 and alpha, flagged items first")
            .res::<crate::app::stats::ItemReport>(),
        get("/api/v1/plans/{id}/item-stats", PLAN_VIEWERS, api::stats::plan)
            .api("statistics", "Item analysis of one plan (item text only for those who may read the bank)")
            .res::<crate::app::stats::ItemReport>(),
        get("/credit", OVERSIGHT, p_credit::desk),
        post("/credit/events", REGULATOR_ONLY, p_credit::record),
        post("/credit/sample", REGULATOR_ONLY, p_credit::sample),
        post("/credit/events/{id}/decision", REGULATOR_ONLY, p_credit::decide_event),
        post("/credit/events/{id}/appeals", SIGNED_IN, p_credit::appeal),
        post("/credit/appeals/{id}/decision", REGULATOR_ONLY, p_credit::decide_appeal),
        get("/credit/{kind}/{id}", SIGNED_IN, p_credit::ledger),
        get("/catalogue", PUBLIC, p_credit::catalogue),
        post("/inspect/plans/{id}/credit", INSPECTORS, pages::inspect::propose),
        get("/api/v1/credit/rules", SIGNED_IN, a_credit::rules)
            .api("credit", "The credit rule catalogue: codes, points, hard-exit triggers")
            .res::<a_credit::Rules>(),
        get("/api/v1/credit/desk", OVERSIGHT, a_credit::desk)
            .api("credit", "The regulator's desk: proposals to decide, open appeals, every body's score, grade and standing")
            .res::<crate::app::credit::Desk>(),
        get("/api/v1/credit/{kind}/{id}", SIGNED_IN, a_credit::ledger)
            .api("credit", "A body's (kind=body) or an assessor's (kind=assessor) ledger with the derived score, grade and standing")
            .res::<crate::app::credit::Ledger>(),
        post("/api/v1/credit/events", REGULATOR_ONLY, a_credit::record).status(201)
            .api("credit", "Record a confirmed event citing a rule, with evidence; a hard-exit event may revoke certificates found improperly issued")
            .req::<crate::app::credit::EventInput>()
            .res::<api::results::RequestCreated>(),
        post("/api/v1/plans/{id}/credit/proposals", INSPECTORS, a_credit::propose).status(201)
            .api("credit", "An inspector dispatched to the plan proposes an event against its body or one of its assessors")
            .req::<crate::app::credit::EventInput>()
            .res::<api::results::RequestCreated>(),
        post("/api/v1/credit/events/{id}/decision", REGULATOR_ONLY, a_credit::decide_event).status(204)
            .api("credit", "Confirm or reject a proposed event (decision: confirm | reject)")
            .req::<crate::app::credit::DecisionInput>(),
        post("/api/v1/credit/events/{id}/appeals", SIGNED_IN, a_credit::appeal).status(201)
            .api("credit", "The body's admin (or the assessor) appeals a confirmed event")
            .req::<crate::app::credit::AppealInput>()
            .res::<api::results::RequestCreated>(),
        post("/api/v1/credit/appeals/{id}/decision", REGULATOR_ONLY, a_credit::decide_appeal).status(204)
            .api("credit", "Uphold (the event is reversed) or dismiss an appeal, by an officer other than the one who confirmed the event")
            .req::<crate::app::credit::DecisionInput>(),
        post("/api/v1/inspections/sample", REGULATOR_ONLY, a_credit::sample)
            .api("credit", "Draw plans for inspection, weighted by the body's credit grade and this year's outlier flags; reproducible from the seed, which is audited")
            .req::<crate::app::inspection::SampleInput>()
            .res::<crate::app::inspection::Sample>(),
        get("/api/v1/catalogue/bodies", PUBLIC, a_credit::catalogue)
            .api("catalogue", "Public: evaluation bodies in good standing with their filed scope and grade")
            .res::<a_credit::Catalogue>(),
    ]
}
