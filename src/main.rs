//! The `skillcert` binary: `serve` by default; see `skillcert --help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    skillcert::cli::main()
}
