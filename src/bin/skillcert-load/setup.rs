//! The set-up phase, through the API as a regulator and a body admin would: a body
//! with its filed scope, the synthetic bank shared with it, rooms with their sessions
//! and proctors, the roster, and every candidate's paper.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::client::{for_each_limited, id_number, Staff};
use crate::Args;

/// What the later phases need from the set-up.
pub struct Planned {
    pub admin: Arc<Staff>,
    pub body_admin: Arc<Staff>,
    pub plan_id: i64,
    pub session_ids: Vec<i64>,
    /// `(admission number, ID number)` of every candidate.
    pub people: Vec<(String, String)>,
}

pub async fn run(
    args: &Args,
    bases: &[String],
    run_id: u64,
    log: &(dyn Fn(&str) + Sync),
) -> Result<Planned> {
    let admin = Staff::login(&bases[0], "admin", &args.admin_password).await?;
    let body = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "body", "name": format!("负载测试评价机构 {run_id}"), "body_type": "social_organisation",
                   "body_code": "0000", "province_code": "32", "site_code": "320100"}),
        )
        .await?;
    let body_id = body["id"].as_i64().context("body id")?;
    // The synthetic occupation enters the catalogue with its bank; only then can a
    // body's scope name it.
    let bank = admin
        .post(
            "/api/v1/synthetic-bank",
            json!({"items": args.bank_items, "share_with": body_id}),
        )
        .await?;
    admin
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/organisations/{body_id}/scope"),
            json!({"scope": [{"occupation_code": "9-99-99-99", "edition": 2022, "level": 5, "certificate_kind": "skill_level"}]}),
        )
        .await?;
    log(&format!(
        "synthetic bank {} ({} new items)",
        bank["bank_id"], bank["created"]
    ));
    let site = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "test_site", "parent_id": body_id, "name": "负载测试考点"}),
        )
        .await?;
    let password = format!("Load-{run_id}-pw");
    admin
        .post("/api/v1/users", json!({"login": format!("load-ba-{run_id}"), "display_name": "负载测试机构管理员", "password": password, "org_id": body_id, "role": "body_admin", "must_change_password": false}))
        .await?;
    let ba = Arc::new(Staff::login(&bases[0], &format!("load-ba-{run_id}"), &password).await?);
    let exam_date = skillcert::today().to_string();
    let plan = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body_id, "occupation_code": "9-99-99-99", "level": 5, "name": format!("负载测试 {run_id}"),
                   "exam_date": exam_date, "duration_seconds": args.seconds + 1800}),
        )
        .await?;
    let plan_id = plan["id"].as_i64().context("plan id")?;
    let rooms = args.candidates.div_ceil(args.room_size.max(1));
    let per_room_proctors = (args.room_size.div_ceil(15)).max(2);
    log(&format!(
        "plan {plan_id}: {rooms} rooms, {per_room_proctors} proctors each"
    ));
    let site_id = site["id"].as_i64().context("site id")?;
    let admin = Arc::new(admin);
    let sessions: Arc<Mutex<Vec<(usize, i64)>>> = Arc::new(Mutex::new(Vec::new()));
    {
        let (admin, ba, sessions, password) = (
            admin.clone(),
            ba.clone(),
            sessions.clone(),
            password.clone(),
        );
        // Every session starts a minute from now (China Standard Time): exam-day login
        // opens around a session's start, and sessions may not start in the past.
        let starts_at =
            skillcert::domain::time::local_time(skillcert::now_ms() + 60_000).replace(' ', "T");
        let room_size = args.room_size;
        let results = for_each_limited(rooms, 8, move |r| {
            let (admin, ba, sessions, password, starts_at) =
                (admin.clone(), ba.clone(), sessions.clone(), password.clone(), starts_at.clone());
            async move {
                let room = admin.post("/api/v1/organisations", json!({"kind": "room", "parent_id": site_id, "name": format!("考场 {r:04}"), "capacity": room_size})).await?;
                let s = ba.post(&format!("/api/v1/plans/{plan_id}/sessions"), json!({"room_id": room["id"], "starts_at": starts_at})).await?;
                let sid = s["id"].as_i64().context("session id")?;
                for k in 0..per_room_proctors {
                    let u = admin
                        .post("/api/v1/users", json!({"login": format!("load-p-{run_id}-{r}-{k}"), "display_name": format!("监考员 {r}-{k}"),
                               "password": password, "org_id": body_id, "role": "proctor", "must_change_password": false}))
                        .await?;
                    ba.post(&format!("/api/v1/sessions/{sid}/proctors"), json!({"user_id": u["id"]})).await?;
                }
                sessions.lock().await.push((r, sid));
                Ok(())
            }
        })
        .await;
        for r in results {
            r?;
        }
    }
    let mut sessions = sessions.lock().await.clone();
    sessions.sort();
    let session_ids: Vec<i64> = sessions.iter().map(|(_, s)| *s).collect();
    log("rooms, sessions and proctors ready");
    let mut people: Vec<(String, String)> = Vec::with_capacity(args.candidates);
    for chunk_start in (0..args.candidates).step_by(2000) {
        let end = (chunk_start + 2000).min(args.candidates);
        let list: Vec<Value> = (chunk_start..end)
            .map(|i| json!({"name": format!("负载考生{i}"), "id_number": id_number(run_id, i), "session_id": session_ids[i / args.room_size]}))
            .collect();
        let enrolled = ba
            .post(
                &format!("/api/v1/plans/{plan_id}/candidates"),
                json!({"candidates": list}),
            )
            .await?;
        for (k, e) in enrolled["enrolled"]
            .as_array()
            .context("enrolled")?
            .iter()
            .enumerate()
        {
            people.push((
                e["admission_no"].as_str().context("admission")?.to_string(),
                id_number(run_id, chunk_start + k),
            ));
        }
    }
    log(&format!("{} candidates enrolled", people.len()));
    let t = Instant::now();
    ba.post(&format!("/api/v1/plans/{plan_id}/close-roster"), json!({}))
        .await?;
    log(&format!(
        "papers generated in {:.1}s",
        t.elapsed().as_secs_f64()
    ));
    Ok(Planned {
        admin,
        body_admin: ba,
        plan_id,
        session_ids,
        people,
    })
}
