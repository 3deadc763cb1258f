//! `skillcert import`, `skillcert export` and `skillcert banks`: bank files in and out
//! from the command line, acting as the local operator (audited as `cli`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::startup::open_store;
use crate::app::banks::import::{import, Actor, ImportOptions, ImportReport};
use crate::config::Config;
use crate::domain::item::ItemStatus;
use crate::domain::standard::Mode;
use crate::formats::{self, Format, Limits, Parsed};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A bank file, an unpacked QTI package folder (with its imsmanifest.xml), or a
    /// folder in skillcert's own format.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    /// Bank id to import into (see `skillcert banks`); own-format folders default to
    /// their occupation's regulator bank.
    #[arg(long)]
    pub bank: Option<i64>,
    /// Level of the standard the items belong to (formats that do not say).
    #[arg(long)]
    pub level: Option<u8>,
    /// `theory` (default) or `skills`.
    #[arg(long)]
    pub mode: Option<String>,
    /// Assessment point for items the file does not tie to one.
    #[arg(long)]
    pub point: Option<String>,
    /// Check everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print `{"items":[…],"errors":[…]}` instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Import as active (already reviewed) instead of as drafts for review.
    #[arg(long)]
    pub active: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Toml,
    Qti,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub bank: i64,
    #[arg(long, value_enum, default_value = "toml")]
    pub format: ExportFormat,
    /// A folder (toml) or a .zip file (qti).
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads a file or own-format folder; QTI tests find their items beside them, never
/// outside the test's folder.
pub fn read_path(path: &Path, format: Format, limits: &Limits) -> anyhow::Result<Parsed> {
    if path.is_dir() {
        // An unpacked QTI content package, or a bank folder in the own format.
        if path.join("imsmanifest.xml").is_file() {
            let files = package_files(path, limits)?;
            let mut parsed = formats::qti::read_package(&files, limits);
            parsed.validate_items();
            return Ok(parsed);
        }
        return formats::own::read_dir(path, limits)
            .with_context(|| format!("cannot read {}", path.display()));
    }
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size as usize > limits.max_bytes {
        bail!(
            "{} has {size} bytes; the limit is {}",
            path.display(),
            limits.max_bytes
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let format = if format == Format::Auto {
        formats::detect(&name, &bytes)
    } else {
        format
    };
    if format == Format::Qti {
        // A bare file name has an empty parent: the current folder.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = parent
            .unwrap_or(Path::new("."))
            .canonicalize()
            .with_context(|| format!("cannot read the folder of {}", path.display()))?;
        let resolve = |rel: &str| -> Option<Vec<u8>> {
            let p = dir.join(rel).canonicalize().ok()?;
            if !p.starts_with(&dir) {
                return None;
            }
            std::fs::read(p).ok()
        };
        let mut parsed = formats::qti::read_with(&name, &bytes, limits, &resolve);
        parsed.validate_items();
        return Ok(parsed);
    }
    Ok(formats::read(format, &name, &bytes, limits))
}

/// The files of an unpacked package folder by their paths inside it, within the bounds
/// a zip package has (entries, total size); links are not followed.
fn package_files(
    root: &Path,
    limits: &Limits,
) -> anyhow::Result<std::collections::HashMap<String, Vec<u8>>> {
    let mut files = std::collections::HashMap::new();
    let mut total = 0u64;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let size = entry.metadata()?.len();
            total += size;
            if files.len() >= limits.max_archive_entries || total > limits.max_unpacked_bytes {
                bail!(
                    "{} holds more than {} files or {} bytes",
                    root.display(),
                    limits.max_archive_entries,
                    limits.max_unpacked_bytes
                );
            }
            let rel = entry
                .path()
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path())?);
        }
    }
    Ok(files)
}

fn spinner(show: bool) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

pub async fn run_import(config: Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let progress = spinner(!args.json && std::io::stderr().is_terminal());
    if let Some(pb) = &progress {
        pb.set_message(format!("reading {}", args.file.display()));
    }
    let limits = Limits::default();
    let parsed = read_path(&args.file, args.format, &limits)?;
    let nothing =
        parsed.items.is_empty() && parsed.standards.is_empty() && parsed.occupation.is_none();
    if nothing && parsed.errors.is_empty() {
        bail!(
            "no items found in {}: is it a bank file, a QTI package or an own-format folder?",
            args.file.display()
        );
    }
    if let Some(pb) = &progress {
        pb.set_message(format!("checking {} items", parsed.items.len()));
    }
    let mode = match args.mode.as_deref() {
        None => None,
        Some(m) => Some(Mode::from_code(m).context("--mode is theory or skills")?),
    };
    let needs_store = !(args.dry_run && args.bank.is_none() && parsed.occupation.is_none());
    let report = if needs_store {
        let store = open_store(&config).await?;
        let regulator = crate::app::orgs::regulator(store.as_ref())
            .await
            .context("the database has no regulator yet: start `skillcert serve` once")?;
        let opts = ImportOptions {
            bank_id: args.bank,
            owner_org: regulator.id,
            level: args.level,
            mode,
            point: args.point.clone(),
            status: Some(if args.active {
                ItemStatus::Active
            } else {
                ItemStatus::Draft
            }),
            dry_run: args.dry_run,
        };
        if let Some(pb) = &progress {
            pb.set_message(format!("writing {} items", parsed.items.len()));
        }
        let r = import(
            store.as_ref(),
            parsed,
            &opts,
            &Actor {
                user_id: None,
                label: "cli".into(),
            },
        )
        .await?;
        store.close().await;
        r
    } else {
        ImportReport {
            items: parsed.items.iter().map(|i| i.content.to_json()).collect(),
            errors: parsed.errors,
            bank_id: None,
            outcome: None,
            external_ids: vec![],
        }
    };
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} items read from {}",
            report.items.len(),
            args.file.display()
        );
        for e in &report.errors {
            println!("  {e}");
        }
        match (&report.outcome, report.errors.is_empty()) {
            (Some(o), _) => println!(
                "bank {}: {} created, {} updated, {} unchanged",
                report.bank_id.unwrap_or_default(),
                o.created,
                o.updated,
                o.unchanged
            ),
            (None, true) => println!("no errors; nothing written (dry run)"),
            (None, false) => println!("{} errors; nothing written", report.errors.len()),
        }
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn run_export(config: Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let bank = store.bank(args.bank).await.context("no such bank")?;
    let occupation = store.occupation(bank.occupation_id).await?;
    let standards = store.standards(bank.occupation_id).await?;
    let items = store.export_items(bank.id).await?;
    store.close().await;
    match args.format {
        ExportFormat::Toml => {
            let entry = formats::OccupationEntry {
                code: occupation.code.clone(),
                edition: occupation.edition as u16,
                name: occupation.name.clone(),
                name_en: occupation.name_en.clone(),
                levels: occupation.levels.clone(),
                certificate_kinds: occupation.certificate_kinds.clone(),
            };
            let mut by_std: BTreeMap<(u8, Mode), Vec<formats::own::ItemOut<'_>>> = BTreeMap::new();
            for i in &items {
                by_std
                    .entry((i.level, i.mode))
                    .or_default()
                    .push(formats::own::ItemOut {
                        external_id: Some(&i.external_id),
                        point: Some(&i.point),
                        content: &i.content,
                    });
            }
            std::fs::create_dir_all(&args.out)?;
            for (name, text) in formats::own::write_files(&entry, &standards, &by_std)? {
                std::fs::write(args.out.join(name), text)?;
            }
        }
        ExportFormat::Qti => {
            let list: Vec<(String, Option<String>, crate::domain::item::ItemContent)> = items
                .iter()
                .map(|i| {
                    (
                        qti_id(&i.external_id),
                        Some(i.point.clone()),
                        i.content.clone(),
                    )
                })
                .collect();
            std::fs::write(&args.out, formats::qti::write_package(&list)?)?;
        }
    }
    println!(
        "exported {} items of bank {} to {}",
        items.len(),
        bank.id,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// QTI identifiers are XML names: a letter first, then letters, digits, `-`, `_`, `.`.
pub fn qti_id(external: &str) -> String {
    let mut s: String = external
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'I');
    }
    s
}

pub async fn run_banks(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    for b in store.banks().await? {
        println!(
            "{:>4}  {}  {}  {} items ({} active)",
            b.id, b.occupation_code, b.name, b.items, b.active_items
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
