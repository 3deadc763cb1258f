//! Item analysis on the embedded store (SQLite) at the size of issue 12: 100,000
//! scored attempts × 100 items, read from the stored response records and analysed
//! (difficulty, corrected point-biserial, upper–lower index, option counts, KR-20 and
//! alpha). Figures in BENCHMARKS.md.
//!
//! The world is one real plan (`common::setup`) whose one attempt is copied 100,000
//! times in SQL (foreign keys off for that one connection: the copies need no
//! candidates of their own, only attempts and scores the analysis reads), and each copy
//! gets a synthetic response record: abilities and item difficulties drawn from a fixed
//! seed (a two-parameter logistic model), one item planted to discriminate negatively.
//!
//! `SKILLCERT_BENCH_ATTEMPTS` sets the size (default 100,000); `SKILLCERT_BENCH_KEEP`
//! names a file to copy the database to, for `skillcert stats` to be timed on it.

mod common;

use std::time::{Duration, Instant};

use common::setup;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use skillcert::domain::stats::{encode, ItemFlag, Response};

const POSITIONS: usize = 100;

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SKILLCERT_BENCH_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let t0 = Instant::now();
    let (store, plan_id, planted) = rt.block_on(async {
        let s =
            skillcert::store::connect(&url, 8, skillcert::domain::audit::ChainKey::new([1; 32]))
                .await
                .unwrap();
        s.migrate().await.unwrap();
        let ids = setup(&s, 1, POSITIONS).await;
        let rec = s.attempt(ids[0].0).await.unwrap();
        let items: Vec<i64> = rec.paper.items.iter().map(|i| i.item_id).collect();
        let planted = items[POSITIONS / 2];
        let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .foreign_keys(false);
        let db = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let difficulty: Vec<f64> = items.iter().map(|_| rng.gen_range(-2.0..2.0)).collect();
        let first = 10_000_000i64;
        for chunk_start in (0..n).step_by(2_000) {
            let chunk = chunk_start..(chunk_start + 2_000).min(n);
            let mut tx = db.begin().await.unwrap();
            for i in chunk {
                let id = first + i as i64;
                sqlx::query(
                    "INSERT INTO attempts (id, candidate_id, plan_id, session_id, seed, item_count, \
                     status, duration_ms, extension_ms, submitted_at_ms, created_at_ms) SELECT \
                     $1, $1, plan_id, session_id, seed, item_count, 'submitted', duration_ms, 0, \
                     1, 1 FROM attempts WHERE id = $2",
                )
                .bind(id)
                .bind(rec.id)
                .execute(&mut *tx)
                .await
                .unwrap();
                let theta: f64 = rng.gen_range(-3.0..3.0);
                let rows: Vec<Response> = items
                    .iter()
                    .zip(&difficulty)
                    .map(|(&item_id, &b)| {
                        // The planted item is answered right by the weaker candidates.
                        let t = if item_id == planted { -theta } else { theta };
                        let right = rng.gen::<f64>() < 1.0 / (1.0 + (-(1.5 * (t - b))).exp());
                        let wrong_option = rng.gen_range(1..4);
                        Response {
                            item_id,
                            credit: if right { 1.0 } else { 0.0 },
                            max_points: 1.0,
                            chosen: if right { 1 } else { 1 << wrong_option },
                        }
                    })
                    .collect();
                sqlx::query(
                    "INSERT INTO attempt_scores (attempt_id, points, max_points, pending, \
                     breakdown, scored_at_ms, responses) VALUES ($1, 0, 100, 0, '[]', 1, $2)",
                )
                .bind(id)
                .bind(encode(&rows))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        if let Ok(keep) = std::env::var("SKILLCERT_BENCH_KEEP") {
            sqlx::query(&format!("VACUUM INTO '{keep}'"))
                .execute(&db)
                .await
                .unwrap();
        }
        db.close().await;
        (s, rec.plan_id, planted)
    });
    eprintln!(
        "setup: {n} attempts × {POSITIONS} responses in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut g = c.benchmark_group("stats");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(40));
    g.bench_function(
        format!("item analysis of {n} attempts x {POSITIONS} items"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let (a, _, _) = rt
                        .block_on(skillcert::app::stats::analyse_scope(
                            store.as_ref(),
                            Some(plan_id),
                            None,
                        ))
                        .unwrap();
                    total += t.elapsed();
                    // n copies plus the real attempt, if it was scored (it was not).
                    assert_eq!(a.paper.attempts as usize, n);
                    let item = a.items.iter().find(|i| i.item_id == planted).unwrap();
                    assert!(item.flags.contains(&ItemFlag::NegativeDiscrimination));
                }
                total
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
