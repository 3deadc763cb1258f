//! `skillcert-load`: the load generator. Against one or several running servers (SQLite
//! or PostgreSQL behind them) it creates a synthetic bank, a body with rooms, proctors
//! and a plan, enrols N candidates and generates their papers, then drives the real
//! HTTP API as candidates do: exam-day login, a start burst (everyone presses start at
//! the same instant), answer saves at a chosen rate, reconnects on another process,
//! submission. Afterwards it checks that every acknowledged save is in the database and
//! prints one JSON line (the interface scripts depend on):
//!
//! `{"candidates", "starts_per_s", "start_p99_ms", "saves_per_s", "save_p50_ms",
//!   "save_p95_ms", "save_p99_ms", "errors", "failovers", "missing_acknowledged",
//!   "healthz_per_s", "ratio", "server_rss_mb"}`
//!
//! Latencies are measured from the moment a request is due (a start from the burst
//! instant, a save from its scheduled time), so time spent queueing in the client
//! counts against the server, never for it.

mod client;
mod phases;
mod setup;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Parser;
use serde_json::{json, Value};
use tokio::sync::{Mutex, Semaphore};

use client::{percentile, Candidate, Staff};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "skillcert-load",
    about = "Load generator for skillcert exam delivery"
)]
pub struct Args {
    /// Server base URL; repeat or separate with commas for several processes.
    #[arg(long, value_delimiter = ',', required = true)]
    pub url: Vec<String>,
    /// Password of the regulator admin `admin`.
    #[arg(long)]
    pub admin_password: String,
    #[arg(long, default_value_t = 1000)]
    pub candidates: usize,
    /// Length of the save phase.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Each candidate saves one change this often.
    #[arg(long, default_value_t = 2000)]
    pub save_interval_ms: u64,
    /// Requests in flight at most (connections in the client pool).
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Candidates per room (proctors per room follow the staffing rule).
    #[arg(long, default_value_t = 30)]
    pub room_size: usize,
    /// Items in the synthetic bank.
    #[arg(long, default_value_t = 2000)]
    pub bank_items: usize,
    /// Seconds of the `/healthz` phase.
    #[arg(long, default_value_t = 5)]
    pub healthz_seconds: u64,
    /// A certificate number to measure public verification with
    /// (`/api/v1/verify/{number}`), for as long as the `/healthz` phase; the server's
    /// `exams.verify_per_minute` must allow the rate (the limiter still runs).
    #[arg(long)]
    pub verify_number: Option<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let report = run(args).await?;
    println!("{report}");
    Ok(())
}

/// The peak memory of every server process (while every attempt is still in progress).
async fn server_rss(admin: &Staff, bases: &[String], password: &str) -> Result<f64> {
    let mut rss = 0.0f64;
    for b in bases {
        // The admin's session cookie is held by the client for the first base only.
        let s = if b == &bases[0] {
            Staff {
                http: admin.http.clone(),
                base: b.clone(),
                csrf: admin.csrf.clone(),
            }
        } else {
            // A process that was stopped during the run (the scale-out test kills
            // one) has no figure to give.
            match Staff::login(b, "admin", password).await {
                Ok(s) => s,
                Err(_) => continue,
            }
        };
        let v = match s.get("/api/v1/system/stats").await {
            Ok(v) => v,
            Err(_) if b != &bases[0] => continue,
            Err(e) => return Err(e),
        };
        rss = rss.max(v["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    Ok(rss)
}

async fn run(args: Args) -> Result<Value> {
    let bases: Vec<String> = args
        .url
        .iter()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let t0 = Instant::now();
    let log = move |msg: &str| eprintln!("[{:>7.1}s] {msg}", t0.elapsed().as_secs_f64());

    let planned = setup::run(&args, &bases, run_id, &log).await?;
    let crowd = phases::Crowd {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections)
            .timeout(Duration::from_secs(60))
            .build()?,
        candidates: planned
            .people
            .iter()
            .enumerate()
            .map(|(i, (admission_no, id_number))| {
                Arc::new(Mutex::new(Candidate {
                    admission_no: admission_no.clone(),
                    id_number: id_number.clone(),
                    base: i % bases.len(),
                    cookie: String::new(),
                    csrf: String::new(),
                    layout: vec![],
                    seq: 0,
                    acked: HashMap::new(),
                }))
            })
            .collect(),
        bases: Arc::new(bases.clone()),
        sem: Arc::new(Semaphore::new(args.connections)),
        connections: args.connections,
        errors: Arc::new(AtomicU64::new(0)),
        failovers: Arc::new(AtomicU64::new(0)),
    };

    let t = Instant::now();
    phases::login_all(&crowd).await?;
    log(&format!(
        "{} exam-day logins in {:.1}s",
        crowd.candidates.len(),
        t.elapsed().as_secs_f64()
    ));
    // The proctors admit their rooms: everyone is signed in and waiting now.
    for sid in &planned.session_ids {
        planned
            .body_admin
            .post(&format!("/api/v1/sessions/{sid}/admit-all"), json!({}))
            .await?;
    }
    log("all admitted");

    let healthz_per_s = phases::healthz(&crowd, args.healthz_seconds).await;
    log(&format!("healthz {healthz_per_s:.0}/s"));
    let verify_per_s = match &args.verify_number {
        Some(n) => {
            let r = phases::get_rate(&crowd, &format!("/api/v1/verify/{n}"), args.healthz_seconds)
                .await;
            log(&format!("verify {r:.0}/s"));
            Some(r)
        }
        None => None,
    };

    let (started, burst_s, start_lat) = phases::start_burst(&crowd).await;
    log(&format!(
        "{started} started in {burst_s:.2}s, p99 {:.0} ms",
        percentile(&start_lat, 99.0)
    ));

    phases::read_papers(&crowd).await?;
    log("papers read");

    let saves = phases::saves(&crowd, args.seconds, args.save_interval_ms).await;
    log(&format!(
        "save p99 by window: {}",
        phases::tails(&saves.timed, args.seconds).join(", ")
    ));
    let mut save_lat: Vec<f64> = saves.timed.iter().map(|(_, ms)| *ms).collect();
    save_lat.sort_by(|a, b| a.total_cmp(b));
    let saves_per_s = save_lat.len() as f64 / saves.seconds;
    log(&format!(
        "{} saves, {saves_per_s:.0}/s, p99 {:.1} ms",
        save_lat.len(),
        percentile(&save_lat, 99.0)
    ));

    let rss = server_rss(&planned.admin, &bases, &args.admin_password).await?;

    phases::submit_all(&crowd).await;
    let stored = planned
        .body_admin
        .get(&format!("/api/v1/plans/{}/answers", planned.plan_id))
        .await?;
    let (checked, missing) = phases::check_acknowledged(&crowd, &stored).await?;
    log(&format!("checked {checked} acknowledged positions"));
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Ok(json!({
        "candidates": crowd.candidates.len(),
        "starts_per_s": round(started as f64 / burst_s),
        "start_p99_ms": round(percentile(&start_lat, 99.0)),
        "saves_per_s": round(saves_per_s),
        "save_p50_ms": round(percentile(&save_lat, 50.0)),
        "save_p95_ms": round(percentile(&save_lat, 95.0)),
        "save_p99_ms": round(percentile(&save_lat, 99.0)),
        "errors": crowd.errors.load(Ordering::Relaxed),
        "failovers": crowd.failovers.load(Ordering::Relaxed),
        "missing_acknowledged": missing + saves.reconnect_missing,
        "healthz_per_s": round(healthz_per_s),
        "ratio": if healthz_per_s > 0.0 { (saves_per_s / healthz_per_s * 1000.0).round() / 1000.0 } else { 0.0 },
        "server_rss_mb": round(rss),
        "verify_per_s": verify_per_s.map(round),
        "verify_ratio": verify_per_s
            .filter(|_| healthz_per_s > 0.0)
            .map(|v| (v / healthz_per_s * 1000.0).round() / 1000.0),
    }))
}
