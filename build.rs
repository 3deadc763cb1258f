//! Embeds the shipped question banks (`question-banks/<folder>/*.toml`) in the binary,
//! so `skillcert serve` loads them on first start wherever it runs.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-banks");
    println!("cargo:rerun-if-changed=question-banks");
    let mut out = String::from("/// `(folder, [(file name, contents)])` of every shipped bank.\npub const SHIPPED: &[(&str, &[(&str, &str)])] = &[\n");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    for dir in dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let _ = writeln!(out, "    ({name:?}, &[");
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            let file = f.file_name().unwrap().to_string_lossy().to_string();
            let _ = writeln!(
                out,
                "        ({file:?}, include_str!({:?})),",
                f.display().to_string()
            );
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("shipped_banks.rs");
    std::fs::write(dest, out).unwrap();
}
