//! Start-up you can test (after zero-to-production's `startup.rs`): [`build`] opens and
//! checks the store, creates the first admin on the very first start and binds the
//! listener (port 0 in tests); [`Application::run`] serves until shutdown.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::crypto::{generate_password, hash_password_blocking, Keys};
use crate::store::{self, Bootstrap, Store};
use crate::web::AppState;

pub fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // Colours only for a person at a terminal: a log file or journald gets plain text.
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colour)
        .try_init();
}

/// Opens the store the settings name, creating the data folder for SQLite, applying
/// migrations and refusing settings that would make commits less than durable.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data folder {}", config.data_dir.display()))?;
    let keys = Keys::load_or_create(config.master_key.as_deref(), &config.data_dir)?;
    let url = config.database_url();
    let store = store::connect(&url, config.db_max_connections, keys.chain_key())
        .await
        .with_context(|| format!("cannot open database {}", mask(&url)))?;
    store.migrate().await.context("migrations failed")?;
    let mismatches = store.durability_mismatches().await?;
    if !mismatches.is_empty() {
        let list: Vec<String> = mismatches
            .iter()
            .map(|m| format!("{} is {} (must be {})", m.setting, m.actual, m.expected))
            .collect();
        bail!(
            "refusing to run with non-durable database settings: {}",
            list.join("; ")
        );
    }
    // A chain written before hashes were keyed is checked and re-keyed once; a broken
    // one stops everything until someone looks at it (`skillcert audit verify`).
    match store.key_audit_chain().await {
        Ok(Some(n)) if n > 0 => tracing::info!(entries = n, "audit chain re-keyed"),
        Ok(_) => {}
        Err(store::StoreError::Refused { detail, .. }) => {
            bail!("the audit chain is broken, so it was not re-keyed: {detail}")
        }
        Err(e) => return Err(e.into()),
    }
    Ok(store)
}

fn mask(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("{}://…@{host}", url.split("://").next().unwrap_or("")),
        None => url.to_string(),
    }
}

pub struct Application {
    pub listener: tokio::net::TcpListener,
    pub state: AppState,
    /// The generated one-time password of the first admin, when this start created them.
    pub generated_admin_password: Option<String>,
}

impl Application {
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.app.store.clone();
        crate::web::serve(self.listener, self.state, shutdown).await?;
        store.close().await;
        Ok(())
    }
}

pub async fn build(config: Config) -> anyhow::Result<Application> {
    let keys = Keys::load_or_create(config.master_key.as_deref(), &config.data_dir)?;
    let store = open_store(&config).await?;
    let generated = match &config.admin_password {
        Some(p) if p.chars().count() < crate::domain::account::MIN_PASSWORD_CHARS => {
            bail!(
                "SKILLCERT_ADMIN_PASSWORD must have at least {} characters",
                crate::domain::account::MIN_PASSWORD_CHARS
            )
        }
        Some(_) => None,
        None => Some(generate_password()),
    };
    let password = config
        .admin_password
        .clone()
        .or(generated.clone())
        .unwrap_or_default();
    let created = store
        .bootstrap(Bootstrap {
            regulator_name: config.regulator_name.clone(),
            admin_login: "admin".into(),
            admin_display_name: "监管管理员".into(),
            admin_password_hash: hash_password_blocking(password).await?,
            must_change_password: generated.is_some(),
            now_ms: crate::now_ms(),
        })
        .await?;
    if store.occupations().await?.is_empty() {
        let regulator = crate::app::orgs::regulator(store.as_ref())
            .await
            .context("no regulator organisation")?;
        let n = crate::app::banks::import::load_shipped(store.as_ref(), regulator.id).await?;
        tracing::info!(items = n, "shipped question banks loaded");
    }
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let state = AppState::new(crate::app::App::start(store, config, keys)?)?;
    Ok(Application {
        listener,
        state,
        generated_admin_password: if created.is_some() { generated } else { None },
    })
}

pub async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let app = build(config).await?;
    if let Some(pw) = &app.generated_admin_password {
        // Printed once, to the terminal only, never to the log.
        println!("──────────────────────────────────────────────────────────────");
        println!(" First start: regulator admin created.");
        println!("   login:    admin");
        println!("   password: {pw}   (one-time: you will be asked to change it)");
        println!("──────────────────────────────────────────────────────────────");
    }
    let addr = app.local_addr();
    tracing::info!(%addr, backend = ?app.state.app.store.backend(), startup_ms = started.elapsed().as_millis() as u64, "skillcert listening");
    println!("skillcert listening on http://{addr}");
    app.run(shutdown_signal()).await?;
    tracing::info!("skillcert stopped");
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested, finishing open requests");
}

pub async fn migrate(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    store.close().await;
    println!("migrations applied");
    Ok(ExitCode::SUCCESS)
}

pub async fn audit_verify(
    config: Config,
    anchor: Option<crate::domain::audit::Anchor>,
) -> anyhow::Result<ExitCode> {
    let keys = Keys::load_or_create(config.master_key.as_deref(), &config.data_dir)?;
    let store = open_store(&config).await?;
    let anchored = anchor.clone();
    let result = crate::app::audit::verify(store.as_ref(), keys.chain_key(), anchor).await?;
    store.close().await;
    match result {
        Ok(n) => {
            println!("audit log intact: {n} entries");
            if let Some(a) = anchored {
                println!("anchor {a} is in the chain");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(b) => {
            eprintln!("audit log BROKEN: {b}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Prints the chain's end, `seq:hash`, for the operator to keep outside the database;
/// `skillcert audit verify --anchor` then proves the chain still holds it.
pub async fn audit_anchor(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let anchor = crate::app::audit::anchor(store.as_ref()).await?;
    store.close().await;
    println!("{anchor}");
    Ok(ExitCode::SUCCESS)
}

pub async fn paper_verify(config: Config, attempt: i64, json: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let check = crate::app::plans::papers::check_paper(store.as_ref(), attempt).await;
    store.close().await;
    let check = check.map_err(|e| anyhow::anyhow!("attempt {attempt}: {e}"))?;
    if json {
        println!("{}", serde_json::to_string(&check)?);
    } else if check.identical {
        println!(
            "attempt {attempt}: identical ({} items drawn again from seed {})",
            check.items, check.seed
        );
    } else {
        println!("attempt {attempt}: NOT identical");
        for d in &check.differences {
            println!("  {d}");
        }
    }
    Ok(match check.identical {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// `skillcert check`: integrity and invariants, for operators and the crash loop.
pub async fn check(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let problems = store.integrity_problems().await;
    store.close().await;
    let problems = problems.map_err(|e| anyhow::anyhow!("{e}"))?;
    if problems.is_empty() {
        println!("ok");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{p}");
    }
    Ok(ExitCode::FAILURE)
}

/// `skillcert stats`: item analysis over the stored response records, timed.
pub async fn stats(
    config: Config,
    plan: Option<i64>,
    bank: Option<i64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let result = crate::app::stats::analyse_scope(store.as_ref(), plan, bank).await;
    store.close().await;
    let (a, read, run) = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string(&a)?);
        return Ok(ExitCode::SUCCESS);
    }
    let cells: u64 = a.items.iter().map(|i| u64::from(i.responses)).sum();
    println!(
        "{} attempts, {} items, {} responses: read {:.3} s, analysed {:.3} s, total {:.3} s",
        a.paper.attempts,
        a.items.len(),
        cells,
        read.as_secs_f64(),
        run.as_secs_f64(),
        (read + run).as_secs_f64()
    );
    let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
    println!(
        "paper: mean {:.3}, sd {:.3}, alpha {}, KR-20 {}",
        a.paper.mean,
        a.paper.sd,
        num(a.paper.alpha),
        num(a.paper.kr20)
    );
    let flagged: Vec<_> = a.items.iter().filter(|i| !i.flags.is_empty()).collect();
    println!("{} items flagged", flagged.len());
    for i in flagged {
        let flags: Vec<&str> = i.flags.iter().map(|f| f.code()).collect();
        println!(
            "  item {}: p {:.3}, r_pb {}, D {}, n {}: {}",
            i.item_id,
            i.p_value,
            num(i.point_biserial),
            num(i.upper_lower),
            i.responses,
            flags.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `skillcert verify-credential`: offline, no database.
pub fn verify_credential(
    file: &Path,
    issuer: Option<&str>,
    status_list: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    use crate::formats::credential;
    let read = |p: &Path| -> anyhow::Result<serde_json::Value> {
        let text =
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    let doc = read(file)?;
    let number = doc["certificateNumber"].as_str().unwrap_or("?").to_string();
    let did = match credential::verify(&doc) {
        Ok(did) => did,
        Err(e) => {
            println!("{number}: NOT valid: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if issuer.is_some_and(|want| want != did) {
        println!("{number}: signed by {did}, not by the issuer given");
        return Ok(ExitCode::FAILURE);
    }
    if let Some(path) = status_list {
        let list = read(path)?;
        if credential::verify(&list).ok() != Some(did.clone()) {
            println!("{number}: the status list is not signed by the credential's issuer");
            return Ok(ExitCode::FAILURE);
        }
        let index: u64 = doc["credentialStatus"]["statusListIndex"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        let encoded = list["credentialSubject"]["encodedList"]
            .as_str()
            .unwrap_or("");
        match credential::status_list_bit(encoded, index) {
            Some(false) => {}
            Some(true) => {
                println!("{number}: signature valid, but REVOKED or suspended in the status list");
                return Ok(ExitCode::FAILURE);
            }
            None => {
                println!("{number}: the status list does not cover this credential");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    println!("{number}: valid, signed by {did}");
    Ok(ExitCode::SUCCESS)
}
