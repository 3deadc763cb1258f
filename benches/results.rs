//! Results on the embedded store (SQLite, WAL, `synchronous=FULL`), at the sizes of
//! issue 11: scoring a plan of 10,000 submitted attempts × 100 items end to end (papers
//! and answers read in batches, item versions through a cold cache, the scores written
//! a batch per transaction), and issuing 10,000 certificates in one batch (serials taken
//! in the transaction). Figures in BENCHMARKS.md.
//!
//! `SKILLCERT_BENCH_ATTEMPTS` sets the size (default 10,000).

mod common;

use std::time::{Duration, Instant};

use common::{ev, setup};
use criterion::{criterion_group, criterion_main, Criterion};
use skillcert::app::delivery::caches::PaperCache;
use skillcert::domain::certificate::NumberParts;
use skillcert::domain::item::ItemType;
use skillcert::domain::org::{BodyType, CertificateKind};
use skillcert::store::certificates::NewCertificate;
use skillcert::store::delivery::{Change, ExamOp};
use skillcert::store::Store;

const POSITIONS: usize = 100;

/// Every attempt answers every position (a plausible answer per type) and is submitted.
async fn answer_and_submit(s: &dyn Store, ids: &[(i64, String)]) {
    let rec = s.attempt(ids[0].0).await.unwrap();
    let answers: Vec<String> = rec
        .paper
        .items
        .iter()
        .map(|i| match i.item_type {
            ItemType::TrueFalse => "true".to_string(),
            ItemType::SingleChoice | ItemType::MultipleChoice => "[0]".to_string(),
            ItemType::Ordering => "[0, 1]".to_string(),
            _ => "\"答案\"".to_string(),
        })
        .collect();
    let now = skillcert::now_ms();
    for chunk in ids.chunks(200) {
        let saves: Vec<ExamOp> = chunk
            .iter()
            .map(|(attempt, session)| ExamOp::Save {
                attempt_id: *attempt,
                session: session.clone(),
                changes: answers
                    .iter()
                    .enumerate()
                    .map(|(p, a)| Change {
                        position: p as u32,
                        seq: 1,
                        answer: a.clone(),
                    })
                    .collect(),
            })
            .collect();
        s.apply_exam_ops(&saves, now, 0).await.unwrap();
        let submits: Vec<ExamOp> = chunk
            .iter()
            .map(|(attempt, _)| ExamOp::Submit {
                attempt_id: *attempt,
                audit: ev("submit"),
            })
            .collect();
        s.apply_exam_ops(&submits, now, 0).await.unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SKILLCERT_BENCH_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let t0 = Instant::now();
    let (store, ids) = rt.block_on(async {
        let s =
            skillcert::store::connect(&url, 8, skillcert::domain::audit::ChainKey::new([1; 32]))
                .await
                .unwrap();
        s.migrate().await.unwrap();
        let ids = setup(&s, n, POSITIONS).await;
        answer_and_submit(s.as_ref(), &ids).await;
        (s, ids)
    });
    eprintln!(
        "setup: {n} attempts × {POSITIONS} answers in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let plan_id = rt.block_on(store.attempt(ids[0].0)).unwrap().plan_id;

    let mut g = c.benchmark_group("results");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(
        format!("score a plan of {n} attempts x {POSITIONS} items"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    rt.block_on(async {
                        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
                        sqlx::query("DELETE FROM attempt_item_scores")
                            .execute(&db)
                            .await
                            .unwrap();
                        sqlx::query("DELETE FROM attempt_scores")
                            .execute(&db)
                            .await
                            .unwrap();
                        db.close().await;
                    });
                    let cache = PaperCache::default();
                    let t = Instant::now();
                    let scored = rt
                        .block_on(skillcert::app::grading::score_pending_with(
                            store.as_ref(),
                            &cache,
                            skillcert::app::grading::Scope {
                                since_ms: 0,
                                plan_id: None,
                            },
                        ))
                        .unwrap();
                    total += t.elapsed();
                    assert_eq!(scored as usize, n);
                }
                total
            })
        },
    );

    // Issuance: every candidate of the plan in one batch, numbered in the transaction.
    let batch: Vec<NewCertificate> = rt
        .block_on(store.roster_people(plan_id))
        .unwrap()
        .into_iter()
        .map(|(candidate_id, person_id, _)| NewCertificate {
            candidate_id,
            person_id,
            score: 80.0,
            review_due: None,
        })
        .collect();
    let admin: i64 = 1;
    let mut year = 2000;
    g.bench_function(format!("issue {n} certificates in one batch"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh request each time; earlier certificates are removed so the
                // batch issues all of them again (under a new year's series).
                rt.block_on(async {
                    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::query("DELETE FROM certificates")
                        .execute(&db)
                        .await
                        .unwrap();
                    db.close().await;
                });
                year += 1;
                let req = rt
                    .block_on(store.request_issuance(plan_id, admin, ev("request")))
                    .unwrap();
                let parts = NumberParts {
                    kind: CertificateKind::SkillLevel,
                    body_type: Some(BodyType::SocialOrganisation),
                    body_code: "0000".into(),
                    province_code: "32".into(),
                    site_code: "320100".into(),
                    year,
                    level: Some(5),
                };
                let t = Instant::now();
                let numbers = rt
                    .block_on(store.approve_issuance(req, admin, parts, batch.clone(), ev("issue")))
                    .unwrap();
                total += t.elapsed();
                assert_eq!(numbers.len(), n);
            }
            total
        })
    });
    g.finish();
    rt.block_on(store.close());
}

criterion_group!(benches, bench);
criterion_main!(benches);
