//! Save handling on the embedded store (SQLite, WAL, `synchronous=FULL`): one save per
//! durable commit against a group commit of many, and the group-commit writer under
//! 1,000 concurrent saves. The end-to-end figure over HTTP comes from `skillcert-load`
//! (BENCHMARKS.md); this isolates the store and the writer.

mod common;

use common::setup;
use criterion::{criterion_group, criterion_main, Criterion};
use skillcert::app::delivery::writer::GroupCommit;
use skillcert::store::delivery::*;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let (store, ids) = rt.block_on(async {
        let s =
            skillcert::store::connect(&url, 8, skillcert::domain::audit::ChainKey::new([1; 32]))
                .await
                .unwrap();
        s.migrate().await.unwrap();
        let ids = setup(&s, 1000, 60).await;
        (s, ids)
    });
    let mut seq = 1i64;
    let mut next = |n: usize| -> Vec<ExamOp> {
        (0..n)
            .map(|i| {
                seq += 1;
                let (attempt_id, session) = &ids[i % ids.len()];
                ExamOp::Save {
                    attempt_id: *attempt_id,
                    session: session.clone(),
                    changes: vec![Change {
                        position: (seq % 60) as u32,
                        seq,
                        answer: "[1]".into(),
                    }],
                }
            })
            .collect()
    };
    // What is measured is written, not refused.
    let check = rt
        .block_on(store.apply_exam_ops(&next(256), skillcert::now_ms(), 0))
        .unwrap();
    assert!(
        check
            .iter()
            .all(|r| matches!(r, ExamOpResult::Saved { .. })),
        "{check:?}"
    );
    let mut g = c.benchmark_group("saves (SQLite FULL)");
    g.sample_size(20);
    g.bench_function("1 save per durable commit", |b| {
        b.iter(|| {
            rt.block_on(store.apply_exam_ops(&next(1), skillcert::now_ms(), 0))
                .unwrap()
        })
    });
    g.bench_function("256 saves in one durable commit", |b| {
        b.iter(|| {
            rt.block_on(store.apply_exam_ops(&next(256), skillcert::now_ms(), 0))
                .unwrap()
        })
    });
    let gc = rt.block_on(async { GroupCommit::start(store.clone(), 1, 0) });
    g.bench_function(
        "1,000 concurrent saves through the group-commit writer",
        |b| {
            b.iter(|| {
                let ops = next(1000);
                rt.block_on(async {
                    let tasks: Vec<_> = ops
                        .into_iter()
                        .map(|op| {
                            let gc = gc.clone();
                            tokio::spawn(async move { gc.submit(op).await.unwrap() })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
