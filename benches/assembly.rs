//! Assembly speed: a 200-item paper from a 20,000-item pool (DESIGN §3.3, issue target
//! under 1 ms), and how evenly exposure spreads over 10,000 papers.

use std::collections::{HashMap, HashSet};

use criterion::{criterion_group, criterion_main, Criterion};
use skillcert::domain::assembly::{assemble, assemble_indexed, PoolIndex};
use skillcert::synth::assembly as synthetic;

fn bench(c: &mut Criterion) {
    // 5 areas × 667 points × 3 types × 2 items ≈ 20,000 items.
    let (std, pool) = synthetic::pool(667, 2);
    assert!(pool.len() >= 20_000);
    let tpl = synthetic::template();
    let none = HashMap::new();
    let exclude = HashSet::new();
    let mut seed = 0u64;
    c.bench_function(
        "assemble 200 items from 20k (pool indexed per paper)",
        |b| {
            b.iter(|| {
                seed += 1;
                assemble(&std, &tpl, &pool, &none, &exclude, seed).unwrap()
            })
        },
    );
    // The published pool is immutable: its index is built once and shared.
    let index = PoolIndex::new(&pool);
    c.bench_function("assemble 200 items from 20k (cached pool index)", |b| {
        b.iter(|| {
            seed += 1;
            assemble_indexed(&std, &tpl, &index, &none, &exclude, seed).unwrap()
        })
    });
    // Exposure over 10,000 papers: max / mean shows of the items drawn at least once.
    let mut shown: HashMap<i64, u32> = HashMap::new();
    let mut worst_gap: f64 = 0.0;
    for s in 0..10_000u64 {
        let p = assemble_indexed(&std, &tpl, &index, &none, &exclude, 1_000_000 + s).unwrap();
        worst_gap = worst_gap.max((p.mean_difficulty - tpl.difficulty_target).abs());
        for i in &p.items {
            *shown.entry(i.item_id).or_default() += 1;
        }
    }
    // Per item type: the template asks for different shares of each type than the pool
    // holds, so exposure is compared within a type.
    for q in &tpl.quotas {
        let of_type: Vec<f64> = pool
            .iter()
            .filter(|i| i.item_type == q.item_type)
            .map(|i| f64::from(shown.get(&i.id).copied().unwrap_or(0)))
            .collect();
        let max = of_type.iter().cloned().fold(0.0, f64::max);
        let mean = of_type.iter().sum::<f64>() / of_type.len() as f64;
        let never = of_type.iter().filter(|v| **v == 0.0).count();
        println!("exposure over 10000 papers, {:?}: {} items, mean {mean:.1}, max {max}, max/mean {:.2}, never drawn {never}", q.item_type, of_type.len(), max / mean);
    }
    println!(
        "worst paper difficulty gap {worst_gap:.3} (tolerance {})",
        tpl.difficulty_tolerance
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
