//! The audit log page (regulator): newest first, filtered by action (or its group),
//! actor and object, paged by sequence number. Actions and object types are shown in
//! words; the hash prefix lets an auditor match an entry with an exported copy.

use axum::extract::State;
use axum::response::Html;
use serde::Deserialize;
use serde_json::json;

use super::page;
use crate::app;
use crate::domain::time::{clock_time, local_time};
use crate::store::AuditQuery;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, Query};
use crate::web::AppState;

const PAGE: i64 = 100;

/// Object types offered by the filter.
const OBJECTS: [&str; 12] = [
    "user",
    "person",
    "org",
    "bank",
    "item",
    "occupation",
    "plan",
    "session",
    "attempt",
    "finding",
    "api_token",
    "audit_log",
];

/// The action groups offered by the filter (the first part of an action code).
const GROUPS: [&str; 13] = [
    "auth", "account", "user", "role", "org", "bank", "item", "plan", "session", "exam", "attempt",
    "finding", "audit",
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    pub action: String,
    pub actor: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<i64>,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn list(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Query(f): Query<Filter>,
) -> Result<Html<String>, AppError> {
    let p = ctx.principal()?;
    let q = AuditQuery {
        before_seq: f.before,
        action: given(&f.action),
        actor: given(&f.actor),
        object_type: given(&f.object_type),
        object_id: given(&f.object_id),
        limit: PAGE,
    };
    let entries = app::audit::search(&st.app, p, q).await?;
    // Actors that are not accounts: the system itself and candidates on exam day.
    let actor = |a: &str| match a.split_once(':') {
        Some(("candidate", who)) => {
            format!("{} {who}", st.i18n.t(ctx.lang, "audit.candidate", None))
        }
        _ if a == "system" => st.i18n.t(ctx.lang, "audit.system", None),
        _ => a.to_string(),
    };
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let at = format!("{}:{}", local_time(e.at_ms), &clock_time(e.at_ms)[6..]);
            json!({"seq": e.seq, "at": at, "actor": actor(&e.actor), "action": e.action,
                   "object_type": e.object_type, "object_id": e.object_id, "hash": &e.hash[..12]})
        })
        .collect();
    // The next page continues below the oldest entry shown, with the same filter.
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            let mut q = serde_urlencoded::to_string([
                ("action", f.action.as_str()),
                ("actor", f.actor.as_str()),
                ("object_type", f.object_type.as_str()),
                ("object_id", f.object_id.as_str()),
            ])
            .unwrap_or_default();
            q.push_str(&format!("&before={seq}"));
            format!("/audit?{q}")
        });
    let groups: Vec<_> = GROUPS
        .iter()
        .map(|g| json!({"code": g, "selected": f.action == *g}))
        .collect();
    let objects: Vec<_> = OBJECTS
        .iter()
        .map(|o| json!({"code": o, "selected": f.object_type == *o}))
        .collect();
    page(
        &st,
        &ctx,
        "audit",
        "audit.title",
        json!({"entries": rows, "groups": groups, "objects": objects, "filter": {"actor": f.actor, "object_type": f.object_type, "object_id": f.object_id},
               "older": older, "filtered": f.before.is_some() || given(&f.action).is_some() || given(&f.actor).is_some() || given(&f.object_type).is_some()}),
    )
}
