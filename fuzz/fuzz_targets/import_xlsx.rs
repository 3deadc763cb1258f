//! The Xlsx importer on arbitrary bytes: it may refuse them (problems with a line), never
//! panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skillcert::formats::{read, Format};

fuzz_target!(init: {
    // The importer turns a panic of calamine into the file's error (see
    // `formats::xlsx::read`); libFuzzer's hook would abort on the panic before that
    // catch. A panic that escapes the importer still ends the run as a crash (its
    // message printed here).
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}, |data: &[u8]| {
    let parsed = read(Format::Xlsx, "items.xlsx", data, &skillcert_fuzz_limits());
    // Whatever was read stays within the limits it was read under.
    assert!(parsed.items.len() <= 10_000);
});

include!("limits.rs");
