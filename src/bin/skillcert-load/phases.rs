//! The exam-day phases, driven through the real HTTP API as candidates do. Latencies are
//! measured from the moment a request is due (a start from the burst instant, a save
//! from its scheduled time), so time spent queueing in the client counts against the
//! server, never for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::{Mutex, Semaphore};

use crate::client::{answer_for, exam_login, for_each_limited, percentile, Candidate};

/// What every phase works with.
#[derive(Clone)]
pub struct Crowd {
    pub http: reqwest::Client,
    pub bases: Arc<Vec<String>>,
    pub candidates: Vec<Arc<Mutex<Candidate>>>,
    /// Requests in flight at most.
    pub sem: Arc<Semaphore>,
    pub connections: usize,
    pub errors: Arc<AtomicU64>,
    /// Candidates who moved to another process because theirs stopped answering.
    pub failovers: Arc<AtomicU64>,
}

/// Every candidate signs in on exam day.
pub async fn login_all(crowd: &Crowd) -> Result<()> {
    let c = crowd.clone();
    for r in for_each_limited(c.candidates.len(), c.connections, move |i| {
        exam_login(c.candidates[i].clone(), c.http.clone(), c.bases.clone())
    })
    .await
    {
        r?;
    }
    Ok(())
}

/// `/healthz` with the same client and connections for `seconds`: requests per second.
pub async fn healthz(crowd: &Crowd, seconds: u64) -> f64 {
    get_rate(crowd, "/healthz", seconds).await
}

/// Requests per second that `path` answers with success, with the same client and
/// connections for `seconds` (public verification is measured against `/healthz`).
pub async fn get_rate(crowd: &Crowd, path: &str, seconds: u64) -> f64 {
    let path = Arc::new(path.to_string());
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for k in 0..crowd.connections {
        let (http, bases, count) = (crowd.http.clone(), crowd.bases.clone(), count.clone());
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if let Ok(r) = http
                    .get(format!("{}{}", bases[k % bases.len()], path))
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
    count.load(Ordering::Relaxed) as f64 / seconds.max(1) as f64
}

/// Everyone presses start at the same instant: `(started, seconds, sorted latencies)`.
pub async fn start_burst(crowd: &Crowd) -> (usize, f64, Vec<f64>) {
    let burst = Instant::now();
    let lat: Arc<Mutex<Vec<f64>>> =
        Arc::new(Mutex::new(Vec::with_capacity(crowd.candidates.len())));
    let mut tasks = Vec::with_capacity(crowd.candidates.len());
    for c in &crowd.candidates {
        let (c, http, bases, sem, lat, errors) = (
            c.clone(),
            crowd.http.clone(),
            crowd.bases.clone(),
            crowd.sem.clone(),
            lat.clone(),
            crowd.errors.clone(),
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
    let seconds = burst.elapsed().as_secs_f64();
    let mut lat = lat.lock().await.clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    (started, seconds, lat)
}

/// Each candidate reads their paper once (the layout decides valid answers).
pub async fn read_papers(crowd: &Crowd) -> Result<()> {
    let c = crowd.clone();
    for r in for_each_limited(c.candidates.len(), c.connections, move |i| {
        let (cand, http, bases) = (c.candidates[i].clone(), c.http.clone(), c.bases.clone());
        async move {
            let mut cand = cand.lock().await;
            let v: Value = http
                .get(format!("{}/api/v1/exam/paper", bases[cand.base]))
                .header("cookie", &cand.cookie)
                .send()
                .await?
                .json()
                .await?;
            cand.layout = v["items"]
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
    Ok(())
}

/// A candidate signs in again (on the next process) and checks that every save
/// acknowledged so far is there; returns how many were missing.
async fn reconnect_and_check(crowd: &Crowd, c: &Arc<Mutex<Candidate>>) -> Option<u64> {
    {
        let mut guard = c.lock().await;
        guard.base = (guard.base + 1) % crowd.bases.len();
    }
    exam_login(c.clone(), crowd.http.clone(), crowd.bases.clone())
        .await
        .ok()?;
    let guard = c.lock().await;
    let st: Value = match crowd
        .http
        .get(format!("{}/api/v1/exam/state", crowd.bases[guard.base]))
        .header("cookie", &guard.cookie)
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let stored: HashMap<u64, i64> = st["answers"].as_array().map_or_else(HashMap::new, |a| {
        a.iter()
            .map(|x| {
                let pos = x["position"].as_u64().unwrap_or(u64::MAX);
                (pos, x["seq"].as_i64().unwrap_or(0))
            })
            .collect()
    });
    let missing = guard
        .acked
        .iter()
        .filter(|(pos, seq)| stored.get(&u64::from(**pos)).copied().unwrap_or(0) < **seq)
        .count();
    Some(missing as u64)
}

/// One answer save as the candidate's browser sends it, to the candidate's process.
async fn send_save(
    crowd: &Crowd,
    c: &Candidate,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    crowd
        .http
        .post(format!("{}/api/v1/exam/answers", crowd.bases[c.base]))
        .header("cookie", &c.cookie)
        .header("x-csrf-token", &c.csrf)
        .json(body)
        .send()
        .await
}

/// What the save phase measured.
pub struct Saves {
    /// `(when the save was due, seconds into the phase; its latency in ms)`.
    pub timed: Vec<(f64, f64)>,
    pub seconds: f64,
    /// Acknowledged saves a reconnecting candidate did not find.
    pub reconnect_missing: u64,
}

/// Saves at the chosen rate for `seconds`; one candidate in a hundred reconnects half
/// way (on another process when there are several) and checks its acknowledged answers.
pub async fn saves(crowd: &Crowd, seconds: u64, interval_ms: u64) -> Saves {
    let lat: Arc<Mutex<Vec<(f64, f64)>>> = Arc::new(Mutex::new(Vec::with_capacity(1 << 20)));
    let phase_start = Instant::now();
    let phase_end = phase_start + Duration::from_secs(seconds);
    let interval = Duration::from_millis(interval_ms.max(1));
    let missing = Arc::new(AtomicU64::new(0));
    let n = crowd.candidates.len();
    let mut tasks = Vec::with_capacity(n);
    for (i, c) in crowd.candidates.iter().enumerate() {
        let (c, crowd, lat, missing) = (c.clone(), crowd.clone(), lat.clone(), missing.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(i as u64);
            // Spread the candidates evenly over the interval.
            let mut due = phase_start + interval.mul_f64(i as f64 / n as f64);
            let mut reconnected = i % 100 != 7;
            while due < phase_end {
                tokio::time::sleep_until(due.into()).await;
                if !reconnected && Instant::now() > phase_start + (phase_end - phase_start) / 2 {
                    reconnected = true;
                    match reconnect_and_check(&crowd, &c).await {
                        Some(m) => missing.fetch_add(m, Ordering::Relaxed),
                        None => crowd.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
                let _permit = crowd.sem.clone().acquire_owned().await.expect("semaphore");
                let mut guard = c.lock().await;
                let pos = rng.gen_range(0..guard.layout.len().max(1));
                let (kind, options) = guard.layout.get(pos).cloned().unwrap_or_default();
                guard.seq += 1;
                let seq = guard.seq;
                let body = json!({"changes": [{"position": pos, "seq": seq, "answer": answer_for(&mut rng, &kind, options)}]});
                let res = send_save(&crowd, &guard, &body).await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_ok() {
                            let at = due.duration_since(phase_start).as_secs_f64();
                            lat.lock()
                                .await
                                .push((at, due.elapsed().as_secs_f64() * 1000.0));
                            let e = guard.acked.entry(pos as u32).or_insert(0);
                            *e = (*e).max(seq);
                        }
                    }
                    // The process is gone (killed): with several processes the
                    // candidate's browser goes on through the next one, as behind a load
                    // balancer, with the same exam session (cookie), and the same save is
                    // sent again there. Only if that process does not know the session
                    // does the candidate sign in again (and check that everything
                    // acknowledged so far is stored).
                    Err(e) if e.is_connect() && crowd.bases.len() > 1 => {
                        crowd.errors.fetch_add(1, Ordering::Relaxed);
                        guard.base = (guard.base + 1) % crowd.bases.len();
                        let again = send_save(&crowd, &guard, &body).await;
                        let acknowledged = match again {
                            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                            _ => false,
                        };
                        match acknowledged {
                            true => {
                                crowd.failovers.fetch_add(1, Ordering::Relaxed);
                                let e = guard.acked.entry(pos as u32).or_insert(0);
                                *e = (*e).max(seq);
                            }
                            false => {
                                // `reconnect_and_check` moves on to the next process
                                // itself: step back so it lands on this one.
                                let n = crowd.bases.len();
                                guard.base = (guard.base + n - 1) % n;
                                drop(guard);
                                match reconnect_and_check(&crowd, &c).await {
                                    Some(m) => {
                                        crowd.failovers.fetch_add(1, Ordering::Relaxed);
                                        missing.fetch_add(m, Ordering::Relaxed)
                                    }
                                    None => crowd.errors.fetch_add(1, Ordering::Relaxed),
                                };
                            }
                        }
                    }
                    _ => {
                        crowd.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                due += interval;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let timed = lat.lock().await.clone();
    Saves {
        timed,
        seconds: phase_start.elapsed().as_secs_f64().max(seconds as f64),
        reconnect_missing: missing.load(Ordering::Relaxed),
    }
}

/// The tail per 5-second window, so a slow stretch shows when it happened.
pub fn tails(timed: &[(f64, f64)], seconds: u64) -> Vec<String> {
    let windows = (seconds as usize).div_ceil(5).max(1);
    let mut by_window = vec![Vec::new(); windows];
    for &(at, ms) in timed {
        by_window[((at / 5.0) as usize).min(windows - 1)].push(ms);
    }
    by_window
        .iter_mut()
        .enumerate()
        .map(|(w, v)| {
            v.sort_by(|a, b| a.total_cmp(b));
            format!("{}s {:.0}", w * 5, percentile(v, 99.0))
        })
        .collect()
}

/// Everyone submits.
pub async fn submit_all(crowd: &Crowd) {
    let c = crowd.clone();
    for_each_limited(c.candidates.len(), c.connections, move |i| {
        let (cand, http, bases, errors) = (
            c.candidates[i].clone(),
            c.http.clone(),
            c.bases.clone(),
            c.errors.clone(),
        );
        async move {
            let cand = cand.lock().await;
            let ok = http
                .post(format!("{}/api/v1/exam/submit", bases[cand.base]))
                .header("cookie", &cand.cookie)
                .header("x-csrf-token", &cand.csrf)
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

/// Every acknowledged save must be in the database: `(checked, missing)`.
pub async fn check_acknowledged(crowd: &Crowd, stored: &Value) -> Result<(u64, u64)> {
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
    let (mut checked, mut missing) = (0u64, 0u64);
    for c in &crowd.candidates {
        let c = c.lock().await;
        for (pos, seq) in &c.acked {
            checked += 1;
            let key = (c.admission_no.clone(), u64::from(*pos));
            if by_key.get(&key).copied().unwrap_or(0) < *seq {
                missing += 1;
            }
        }
    }
    Ok((checked, missing))
}
