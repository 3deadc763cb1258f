//! The clients of the load generator: a staff member (cookie session and CSRF token)
//! and a candidate, and the small helpers the phases share.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::{Mutex, Semaphore};

/// A staff client: cookie session and CSRF token.
pub struct Staff {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Staff {
    pub async fn login(base: &str, login: &str, password: &str) -> Result<Staff> {
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

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
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

    pub async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, body).await
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, Value::Null).await
    }
}

/// One simulated candidate.
pub struct Candidate {
    pub admission_no: String,
    pub id_number: String,
    pub base: usize,
    pub cookie: String,
    pub csrf: String,
    /// `(type, option count)` per paper position.
    pub layout: Vec<(String, usize)>,
    pub seq: i64,
    /// Highest acknowledged sequence per position.
    pub acked: HashMap<u32, i64>,
}

/// The `i`-th valid resident ID number of this run (unique birth date and sequence).
pub fn id_number(run: u64, i: usize) -> String {
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

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
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
pub async fn for_each_limited<F, Fut>(n: usize, limit: usize, f: F) -> Vec<Result<()>>
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

pub fn answer_for(rng: &mut impl Rng, kind: &str, options: usize) -> Value {
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

/// Exam-day login for one candidate: the exam cookie and CSRF token are kept on it.
pub async fn exam_login(
    c: Arc<Mutex<Candidate>>,
    http: reqwest::Client,
    bases: Arc<Vec<String>>,
) -> Result<()> {
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
    Ok(())
}
