//! `skillcert-load`: the load generator. Against one or several running servers (SQLite
//! or PostgreSQL behind them) it creates a synthetic bank, a body with rooms, proctors
//! and a plan, enrols N candidates and generates their papers, then drives the real
//! HTTP API as candidates do: exam-day login, a start burst (everyone presses start at
//! the same instant), answer saves at a chosen rate, reconnects on another process,
//! submission. Afterwards it checks that every acknowledged save is in the database and
//! prints one JSON line (the interface scripts depend on):
//!
//! `{"candidates", "starts_per_s", "start_p99_ms", "saves_per_s", "save_p50_ms",
//!   "save_p95_ms", "save_p99_ms", "errors", "missing_acknowledged", "healthz_per_s",
//!   "ratio", "server_rss_mb"}`
//!
//! Latencies are measured from the moment a request is due (a start from the burst
//! instant, a save from its scheduled time), so time spent queueing in the client
//! counts against the server, never for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::{Mutex, Semaphore};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "skillcert-load",
    about = "Load generator for skillcert exam delivery"
)]
struct Args {
    /// Server base URL; repeat or separate with commas for several processes.
    #[arg(long, value_delimiter = ',', required = true)]
    url: Vec<String>,
    /// Password of the regulator admin `admin`.
    #[arg(long)]
    admin_password: String,
    #[arg(long, default_value_t = 1000)]
    candidates: usize,
    /// Length of the save phase.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Each candidate saves one change this often.
    #[arg(long, default_value_t = 2000)]
    save_interval_ms: u64,
    /// Requests in flight at most (connections in the client pool).
    #[arg(long, default_value_t = 256)]
    connections: usize,
    /// Candidates per room (proctors per room follow the staffing rule).
    #[arg(long, default_value_t = 30)]
    room_size: usize,
    /// Items in the synthetic bank.
    #[arg(long, default_value_t = 2000)]
    bank_items: usize,
    /// Seconds of the `/healthz` phase.
    #[arg(long, default_value_t = 5)]
    healthz_seconds: u64,
}

/// A staff client: cookie session and CSRF token.
struct Staff {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Staff {
    async fn login(base: &str, login: &str, password: &str) -> Result<Staff> {
        let http = reqwest::Client::builder().cookie_store(true).build()?;
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("login {login}: {status} {body}");
        }
        Ok(Staff {
            http,
            base: base.into(),
            csrf: body["csrf_token"].as_str().unwrap_or_default().into(),
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
        let res = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, body).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, Value::Null).await
    }
}

/// One simulated candidate.
struct Candidate {
    admission_no: String,
    id_number: String,
    base: usize,
    cookie: String,
    csrf: String,
    /// `(type, option count)` per paper position.
    layout: Vec<(String, usize)>,
    seq: i64,
    /// Highest acknowledged sequence per position.
    acked: HashMap<u32, i64>,
}

/// The `i`-th valid resident ID number of this run (unique birth date and sequence).
fn id_number(run: u64, i: usize) -> String {
    let base = time::Date::from_calendar_date(1960 + (run % 40) as i32, time::Month::January, 1)
        .expect("date");
    let day = base + time::Duration::days((i / 900) as i64 + (run / 40 % 300) as i64);
    let first17 = format!(
        "110101{:04}{:02}{:02}{:03}",
        day.year(),
        u8::from(day.month()),
        day.day(),
        100 + i % 900
    );
    let check = skillcert::domain::identity::check_char(first17.as_bytes());
    format!("{first17}{check}")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .find_map(|v| {
            let s = v.to_str().ok()?;
            let (kv, _) = s.split_once(';').unwrap_or((s, ""));
            let (k, v) = kv.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
}

/// Runs `f` for every index with at most `limit` at a time.
async fn for_each_limited<F, Fut>(n: usize, limit: usize, f: F) -> Vec<Result<()>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let sem = Arc::new(Semaphore::new(limit));
    let f = Arc::new(f);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let sem = sem.clone();
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore");
            f(i).await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(
            t.await
                .unwrap_or_else(|e| Err(anyhow::anyhow!("task: {e}"))),
        );
    }
    out
}

fn answer_for(rng: &mut impl Rng, kind: &str, options: usize) -> Value {
    match kind {
        "true_false" => json!(rng.gen_bool(0.5)),
        "single_choice" => json!([rng.gen_range(0..options.max(1))]),
        "multiple_choice" => {
            let mut v: Vec<usize> = (0..options).filter(|_| rng.gen_bool(0.5)).collect();
            if v.is_empty() {
                v.push(0);
            }
            json!(v)
        }
        _ => json!("负载测试作答"),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let report = run(args).await?;
    println!("{report}");
    Ok(())
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

    // --- Set-up through the API, as a regulator and a body admin would.
    let admin = Staff::login(&bases[0], "admin", &args.admin_password).await?;
    let body = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "body", "name": format!("负载测试评价机构 {run_id}"), "body_type": "social_organisation",
                   "body_code": "0000", "province_code": "32", "site_code": "320100"}),
        )
        .await?;
    let body_id = body["id"].as_i64().context("body id")?;
    admin
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/organisations/{body_id}/scope"),
            json!({"scope": [{"occupation_code": "9-99-99-99", "edition": 2022, "level": 5, "certificate_kind": "skill_level"}]}),
        )
        .await?;
    let bank = admin
        .post(
            "/api/v1/synthetic-bank",
            json!({"items": args.bank_items, "share_with": body_id}),
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
    let plan = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body_id, "occupation_code": "9-99-99-99", "level": 5, "name": format!("负载测试 {run_id}"),
                   "exam_date": "2026-12-01", "duration_seconds": args.seconds + 1800}),
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
        // Every session starts now (China Standard Time): exam-day login opens around a
        // session's start.
        let starts_at = skillcert::domain::time::local_time(skillcert::now_ms()).replace(' ', "T");
        let results = for_each_limited(rooms, 8, move |r| {
            let (admin, ba, sessions, password, starts_at) =
                (admin.clone(), ba.clone(), sessions.clone(), password.clone(), starts_at.clone());
            async move {
                let room = admin.post("/api/v1/organisations", json!({"kind": "room", "parent_id": site_id, "name": format!("考场 {r:04}")})).await?;
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

    // --- Candidates: exam-day login.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(60))
        .build()?;
    let sem = Arc::new(Semaphore::new(args.connections));
    let errors = Arc::new(AtomicU64::new(0));
    let candidates: Vec<Arc<Mutex<Candidate>>> = people
        .into_iter()
        .enumerate()
        .map(|(i, (admission_no, id_number))| {
            Arc::new(Mutex::new(Candidate {
                admission_no,
                id_number,
                base: i % bases.len(),
                cookie: String::new(),
                csrf: String::new(),
                layout: vec![],
                seq: 0,
                acked: HashMap::new(),
            }))
        })
        .collect();
    let bases = Arc::new(bases);
    let login = |c: Arc<Mutex<Candidate>>, http: reqwest::Client, bases: Arc<Vec<String>>| async move {
        let mut c = c.lock().await;
        let res = http
            .post(format!("{}/api/v1/exam/login", bases[c.base]))
            .json(&json!({"admission_no": c.admission_no, "id_number": c.id_number}))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("exam login {}: {}", c.admission_no, res.status());
        }
        c.cookie = format!(
            "sc_exam={}",
            cookie_value(&res, "sc_exam").context("exam cookie")?
        );
        let v: Value = res.json().await?;
        c.csrf = v["csrf_token"].as_str().unwrap_or_default().to_string();
        Ok::<_, anyhow::Error>(())
    };
    let t = Instant::now();
    {
        let (cands, http, bases, login) = (candidates.clone(), http.clone(), bases.clone(), login);
        for r in for_each_limited(cands.len(), args.connections, move |i| {
            login(cands[i].clone(), http.clone(), bases.clone())
        })
        .await
        {
            r?;
        }
    }
    log(&format!(
        "{} exam-day logins in {:.1}s",
        candidates.len(),
        t.elapsed().as_secs_f64()
    ));
    // The proctors admit their rooms: everyone is signed in and waiting now.
    for sid in &session_ids {
        ba.post(&format!("/api/v1/sessions/{sid}/admit-all"), json!({}))
            .await?;
    }
    log("all admitted");

    // --- /healthz with the same client and connections, for the ratio.
    let healthz_count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.healthz_seconds);
    let mut tasks = Vec::new();
    for k in 0..args.connections {
        let (http, bases, count) = (http.clone(), bases.clone(), healthz_count.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if let Ok(r) = http
                    .get(format!("{}/healthz", bases[k % bases.len()]))
                    .send()
                    .await
                {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let healthz_per_s = healthz_count.load(Ordering::Relaxed) as f64 / args.healthz_seconds as f64;
    log(&format!("healthz {healthz_per_s:.0}/s"));

    // --- The start burst: everyone presses start at the same instant.
    let burst = Instant::now();
    let start_lat: Arc<Mutex<Vec<f64>>> =
        Arc::new(Mutex::new(Vec::with_capacity(candidates.len())));
    let mut tasks = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let (c, http, bases, sem, lat, errors) = (
            c.clone(),
            http.clone(),
            bases.clone(),
            sem.clone(),
            start_lat.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore");
            let c = c.lock().await;
            let res = http
                .post(format!("{}/api/v1/exam/start", bases[c.base]))
                .header("cookie", &c.cookie)
                .header("x-csrf-token", &c.csrf)
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    lat.lock()
                        .await
                        .push(burst.elapsed().as_secs_f64() * 1000.0);
                    true
                }
                _ => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    false
                }
            }
        }));
    }
    let mut started = 0usize;
    for t in tasks {
        if t.await.unwrap_or(false) {
            started += 1;
        }
    }
    let burst_s = burst.elapsed().as_secs_f64();
    let mut start_lat = start_lat.lock().await.clone();
    start_lat.sort_by(|a, b| a.total_cmp(b));
    log(&format!(
        "{started} started in {burst_s:.2}s, p99 {:.0} ms",
        percentile(&start_lat, 99.0)
    ));

    // Each candidate reads their paper once (the layout decides valid answers).
    {
        let (cands, http, bases) = (candidates.clone(), http.clone(), bases.clone());
        for r in for_each_limited(cands.len(), args.connections, move |i| {
            let (c, http, bases) = (cands[i].clone(), http.clone(), bases.clone());
            async move {
                let mut c = c.lock().await;
                let v: Value = http
                    .get(format!("{}/api/v1/exam/paper", bases[c.base]))
                    .header("cookie", &c.cookie)
                    .send()
                    .await?
                    .json()
                    .await?;
                c.layout = v["items"]
                    .as_array()
                    .context("paper items")?
                    .iter()
                    .map(|it| {
                        (
                            it["item_type"].as_str().unwrap_or("").to_string(),
                            it["options"].as_array().map_or(0, |o| o.len()),
                        )
                    })
                    .collect();
                Ok(())
            }
        })
        .await
        {
            r?;
        }
    }
    log("papers read");

    // --- Saves at the chosen rate; a few candidates reconnect half-way (on another
    // process when there are several) and check their acknowledged answers.
    // (when the save was due, seconds into the phase; its latency in ms)
    let save_lat: Arc<Mutex<Vec<(f64, f64)>>> = Arc::new(Mutex::new(Vec::with_capacity(1 << 20)));
    let phase_start = Instant::now();
    let phase_end = phase_start + Duration::from_secs(args.seconds);
    let interval = Duration::from_millis(args.save_interval_ms.max(1));
    let reconnect_missing = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        let (c, http, bases, sem, lat, errors, rm) = (
            c.clone(),
            http.clone(),
            bases.clone(),
            sem.clone(),
            save_lat.clone(),
            errors.clone(),
            reconnect_missing.clone(),
        );
        let n = candidates.len();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(i as u64);
            // Spread the candidates evenly over the interval.
            let mut due = phase_start + interval.mul_f64(i as f64 / n as f64);
            let mut reconnected = i % 100 != 7;
            while due < phase_end {
                tokio::time::sleep_until(due.into()).await;
                if !reconnected && Instant::now() > phase_start + (phase_end - phase_start) / 2 {
                    reconnected = true;
                    let mut guard = c.lock().await;
                    guard.base = (guard.base + 1) % bases.len();
                    drop(guard);
                    if login(c.clone(), http.clone(), bases.clone()).await.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    } else {
                        let guard = c.lock().await;
                        let st: Value = match http.get(format!("{}/api/v1/exam/state", bases[guard.base])).header("cookie", &guard.cookie).send().await {
                            Ok(r) => r.json().await.unwrap_or(Value::Null),
                            Err(_) => Value::Null,
                        };
                        let stored: HashMap<u64, i64> = st["answers"].as_array().map_or_else(HashMap::new, |a| {
                            a.iter().map(|x| (x["position"].as_u64().unwrap_or(u64::MAX), x["seq"].as_i64().unwrap_or(0))).collect()
                        });
                        for (pos, seq) in &guard.acked {
                            if stored.get(&u64::from(*pos)).copied().unwrap_or(0) < *seq {
                                rm.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                let _permit = sem.clone().acquire_owned().await.expect("semaphore");
                let mut guard = c.lock().await;
                let pos = rng.gen_range(0..guard.layout.len().max(1));
                let (kind, options) = guard.layout.get(pos).cloned().unwrap_or_default();
                guard.seq += 1;
                let seq = guard.seq;
                let body = json!({"changes": [{"position": pos, "seq": seq, "answer": answer_for(&mut rng, &kind, options)}]});
                let res = http
                    .post(format!("{}/api/v1/exam/answers", bases[guard.base]))
                    .header("cookie", &guard.cookie)
                    .header("x-csrf-token", &guard.csrf)
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_ok() {
                            let at = due.duration_since(phase_start).as_secs_f64();
                            lat.lock().await.push((at, due.elapsed().as_secs_f64() * 1000.0));
                            let e = guard.acked.entry(pos as u32).or_insert(0);
                            *e = (*e).max(seq);
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                due += interval;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let save_s = phase_start.elapsed().as_secs_f64().max(args.seconds as f64);
    let timed = save_lat.lock().await.clone();
    // The tail per 5-second window, so a slow stretch shows when it happened.
    let windows = (args.seconds as usize).div_ceil(5);
    let mut by_window = vec![Vec::new(); windows.max(1)];
    for &(at, ms) in &timed {
        by_window[((at / 5.0) as usize).min(windows.max(1) - 1)].push(ms);
    }
    let tails: Vec<String> = by_window
        .iter_mut()
        .enumerate()
        .map(|(w, v)| {
            v.sort_by(|a, b| a.total_cmp(b));
            format!("{}s {:.0}", w * 5, percentile(v, 99.0))
        })
        .collect();
    log(&format!("save p99 by window: {}", tails.join(", ")));
    let mut save_lat: Vec<f64> = timed.into_iter().map(|(_, ms)| ms).collect();
    save_lat.sort_by(|a, b| a.total_cmp(b));
    let saves_per_s = save_lat.len() as f64 / save_s;
    log(&format!(
        "{} saves, {saves_per_s:.0}/s, p99 {:.1} ms",
        save_lat.len(),
        percentile(&save_lat, 99.0)
    ));

    // Memory while every attempt is still in progress.
    let mut rss = 0.0f64;
    for b in bases.iter() {
        let s = Staff {
            http: admin.http.clone(),
            base: b.clone(),
            csrf: admin.csrf.clone(),
        };
        // The admin's session cookie is held by the client for the first base only.
        let s = if b == &bases[0] {
            s
        } else {
            Staff::login(b, "admin", &args.admin_password).await?
        };
        let v = s.get("/api/v1/system/stats").await?;
        rss = rss.max(v["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }

    // --- Everyone submits; then every acknowledged save must be in the database.
    {
        let (cands, http, bases, errors) = (
            candidates.clone(),
            http.clone(),
            bases.clone(),
            errors.clone(),
        );
        for_each_limited(cands.len(), args.connections, move |i| {
            let (c, http, bases, errors) = (
                cands[i].clone(),
                http.clone(),
                bases.clone(),
                errors.clone(),
            );
            async move {
                let c = c.lock().await;
                let ok = http
                    .post(format!("{}/api/v1/exam/submit", bases[c.base]))
                    .header("cookie", &c.cookie)
                    .header("x-csrf-token", &c.csrf)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
        })
        .await;
    }
    let stored = ba.get(&format!("/api/v1/plans/{plan_id}/answers")).await?;
    let mut by_key: HashMap<(String, u64), i64> = HashMap::new();
    for a in stored["answers"].as_array().context("answers")? {
        by_key.insert(
            (
                a["admission_no"].as_str().unwrap_or("").to_string(),
                a["position"].as_u64().unwrap_or(0),
            ),
            a["seq"].as_i64().unwrap_or(0),
        );
    }
    let mut missing = reconnect_missing.load(Ordering::Relaxed);
    let mut acked_total = 0u64;
    for c in &candidates {
        let c = c.lock().await;
        for (pos, seq) in &c.acked {
            acked_total += 1;
            if by_key
                .get(&(c.admission_no.clone(), u64::from(*pos)))
                .copied()
                .unwrap_or(0)
                < *seq
            {
                missing += 1;
            }
        }
    }
    log(&format!("checked {acked_total} acknowledged positions"));
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Ok(json!({
        "candidates": candidates.len(),
        "starts_per_s": round(started as f64 / burst_s),
        "start_p99_ms": round(percentile(&start_lat, 99.0)),
        "saves_per_s": round(saves_per_s),
        "save_p50_ms": round(percentile(&save_lat, 50.0)),
        "save_p95_ms": round(percentile(&save_lat, 95.0)),
        "save_p99_ms": round(percentile(&save_lat, 99.0)),
        "errors": errors.load(Ordering::Relaxed),
        "missing_acknowledged": missing,
        "healthz_per_s": round(healthz_per_s),
        "ratio": if healthz_per_s > 0.0 { (saves_per_s / healthz_per_s * 1000.0).round() / 1000.0 } else { 0.0 },
        "server_rss_mb": round(rss),
    }))
}
