//! The command line (DESIGN §4): `serve` (the default), `migrate`, `print-config` and
//! `audit verify`. Thin: each command loads the settings, opens the store and calls one
//! thing.

pub mod bank;
pub mod startup;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "skillcert",
    version,
    about = "职业技能评价与题库考试系统 — vocational skills assessment and question banks"
)]
pub struct Cli {
    /// Settings file (TOML); also `SKILLCERT_CONFIG`. Environment variables override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default): migrates and creates the first admin on first start.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Show the effective settings, secrets masked.
    PrintConfig,
    /// Import a bank file (any supported format) or an own-format folder.
    Import(bank::ImportArgs),
    /// Export a bank in skillcert's own format or as a QTI 3.0 package.
    Export(bank::ExportArgs),
    /// List the banks with their ids.
    Banks,
    /// Write a synthetic bank (own format) for load tests: clearly labelled, never real.
    SynthBank {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check a certificate's signed credential offline: its signature, optionally its
    /// issuer (`--issuer did:key:…`) and its bit in a downloaded status list; exits
    /// non-zero when it does not hold.
    VerifyCredential {
        file: PathBuf,
        #[arg(long)]
        issuer: Option<String>,
        /// The status list (`/credentials/status`) saved to a file.
        #[arg(long)]
        status_list: Option<PathBuf>,
    },
    /// Item analysis (difficulty, discrimination, options, KR-20 / alpha) of one plan,
    /// of every plan on one bank, or of everything; prints how long it took and the
    /// items flagged for their authors.
    Stats {
        #[arg(long)]
        plan: Option<i64>,
        #[arg(long)]
        bank: Option<i64>,
        /// Print the whole analysis as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the database: the engine's integrity check and the exam life cycle's
    /// invariants (no answer before a start, no open attempt without a deadline, …);
    /// prints each problem and exits non-zero when there is one.
    Check,
    /// Paper tools.
    Paper {
        #[command(subcommand)]
        command: PaperCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaperCommand {
    /// Draw an attempt's paper again from its recorded seed, pool and exclusions and
    /// say whether it is the paper the candidate was given; exits non-zero when not.
    Verify {
        #[arg(long)]
        attempt: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exits non-zero and names the first bad entry.
    Verify {
        /// An anchor printed earlier by `skillcert audit anchor` (`seq:hash`): the chain
        /// must still hold that entry with that hash (catches entries cut off the end).
        #[arg(long)]
        anchor: Option<crate::domain::audit::Anchor>,
    },
    /// Print the chain's end as `seq:hash`, to keep outside the database.
    Anchor,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skillcert: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::SynthBank { items, seed, out }) = &cli.command {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(out)?;
            for (name, text) in crate::synth::bank_files(*items, *seed) {
                std::fs::write(out.join(name), text)?;
            }
            Ok(())
        };
        return match write() {
            Ok(()) => {
                println!(
                    "synthetic bank of {items} items written to {}",
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("skillcert: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::PrintConfig) = cli.command {
        print!("{}", config.to_masked_toml());
        return ExitCode::SUCCESS;
    }
    startup::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("skillcert: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => startup::serve(config).await,
            Command::Migrate => startup::migrate(config).await,
            Command::Audit {
                command: AuditCommand::Verify { anchor },
            } => startup::audit_verify(config, anchor).await,
            Command::Audit {
                command: AuditCommand::Anchor,
            } => startup::audit_anchor(config).await,
            Command::PrintConfig | Command::SynthBank { .. } => Ok(ExitCode::SUCCESS),
            Command::Import(args) => bank::run_import(config, args).await,
            Command::Export(args) => bank::run_export(config, args).await,
            Command::Banks => bank::run_banks(config).await,
            Command::Paper {
                command: PaperCommand::Verify { attempt, json },
            } => startup::paper_verify(config, attempt, json).await,
            Command::Check => startup::check(config).await,
            Command::Stats { plan, bank, json } => startup::stats(config, plan, bank, json).await,
            Command::VerifyCredential {
                file,
                issuer,
                status_list,
            } => startup::verify_credential(&file, issuer.as_deref(), status_list.as_deref()),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("skillcert: {e:#}");
            ExitCode::FAILURE
        }
    }
}
