//! The Qti importer on arbitrary bytes: it may refuse them (problems with a line), never
//! panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skillcert::formats::{read, Format};

fuzz_target!(|data: &[u8]| {
    let parsed = read(Format::Qti, "package.zip", data, &skillcert_fuzz_limits());
    // Whatever was read stays within the limits it was read under.
    assert!(parsed.items.len() <= 10_000);
});

include!("limits.rs");
