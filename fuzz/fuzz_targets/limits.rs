/// The importers' limits, smaller than the service's so that one input cannot take the
/// fuzzer's memory or minutes (the service's own are in `Limits::default`).
fn skillcert_fuzz_limits() -> skillcert::formats::Limits {
    skillcert::formats::Limits {
        max_bytes: 4 << 20,
        max_items: 10_000,
        max_depth: 64,
        max_unpacked_bytes: 32 << 20,
        max_archive_entries: 2_000,
        time: std::time::Duration::from_secs(5),
    }
}
