//! Settings: defaults, then an optional TOML file, then `SKILLCERT_*` environment
//! variables. Regional policy numbers live here as settings, never as constants in code.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variables read on top of the file, and the field each one sets.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("SKILLCERT_BIND", "bind"),
    ("SKILLCERT_DATA_DIR", "data_dir"),
    ("SKILLCERT_DATABASE_URL", "database_url"),
    ("SKILLCERT_ADMIN_PASSWORD", "admin_password"),
    ("SKILLCERT_MASTER_KEY", "master_key"),
    ("SKILLCERT_TEMPLATES_DIR", "templates_dir"),
    ("SKILLCERT_COOKIE_SECURE", "cookie_secure"),
    ("SKILLCERT_PUBLIC_URL", "public_url"),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to serve HTTP on.
    pub bind: String,
    /// Where the SQLite file, the key file and uploads live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `sqlite://<data_dir>/skillcert.db`.
    pub database_url: Option<String>,
    /// Password for the first regulator admin; when unset one is generated and printed once.
    pub admin_password: Option<String>,
    /// 64 hex characters; when unset the key is kept in `<data_dir>/keys/master.key`.
    /// Several app processes sharing one PostgreSQL must share this key.
    pub master_key: Option<String>,
    /// Operators may override any embedded template by putting a file of the same name here.
    pub templates_dir: Option<PathBuf>,
    /// Mark cookies `Secure`; set when served over TLS or behind a TLS proxy.
    pub cookie_secure: bool,
    /// The address the public reaches this service at (e.g. `https://zs.example.gov.cn`):
    /// certificates' QR codes point to `<public_url>/verify/<number>`. When unset,
    /// `http://<bind>`.
    pub public_url: Option<String>,
    /// Addresses of reverse proxies in front of the server. A request from one of them
    /// is counted (login throttling, audit) under the client address its
    /// `X-Forwarded-For` names; from anywhere else the header is ignored, since a client
    /// could write anything there.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Pool size for PostgreSQL and for SQLite readers.
    pub db_max_connections: u32,
    pub sessions: SessionConfig,
    pub login_throttle: ThrottleConfig,
    pub request_timeout_seconds: u64,
    /// Name of the regulator organisation created on the very first start.
    pub regulator_name: String,
    pub exams: ExamConfig,
    /// The credit ledger's base, grade thresholds and rule catalogue (DESIGN §3.8).
    pub credit: crate::domain::credit::CreditPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExamConfig {
    /// Saves arriving this long after the deadline are still accepted (network delay);
    /// after it the attempt is submitted with its last saved answers.
    pub grace_seconds: i64,
    /// Plans wait for the regulator's approval before they open.
    pub plans_require_approval: bool,
    /// Group-commit writer tasks; 0 chooses (1 for SQLite, 4 for PostgreSQL).
    pub writers: usize,
    /// The most a proctor may extend one attempt by, in all.
    pub max_extension_minutes: i64,
    /// Exam-day login opens this long before the session's start…
    pub login_opens_minutes_before: i64,
    /// …and closes this long after it for a candidate the proctor has not admitted yet
    /// (late arrival, 迟到); admitted candidates and running attempts log in (resume)
    /// until the attempt ends.
    pub late_entry_minutes: i64,
    /// A plan's paper duration when the plan does not set one.
    pub default_duration_minutes: u32,
    /// The pass mark as a share of the paper's total, when the plan does not set one
    /// (DESIGN §3.5: 60 of 100).
    pub pass_mark_percent: f64,
    /// Proctors per theory room (DESIGN §3.4).
    pub proctors: crate::domain::exam::ProctorRatio,
    /// How long after publication candidates may ask for a review of their result
    /// (成绩复核); results are final, and certificates may be issued, after it.
    pub review_window_hours: i64,
    /// Requests per minute one address may make to public certificate verification.
    pub verify_per_minute: u32,
    /// Assessors per session whose paper has tasks for assessors (DESIGN §3.4).
    pub assessors: crate::domain::grading::panel::AssessorRatio,
    /// How a panel's marks become one score: `mean` or `trimmed_mean`.
    pub panel_aggregation: crate::domain::grading::panel::Aggregation,
    /// Marks of one task further apart than this share of its points go to arbitration.
    pub arbitration_spread_percent: f64,
    /// The most consecutive plans of one body an assessor may serve.
    pub assessor_rotation_limit: usize,
    /// The region's certificate-based subsidy policy (DESIGN §3.7).
    pub subsidies: crate::domain::subsidy::SubsidyPolicy,
    /// Which components a level requires: theory, skills, and the review panel for
    /// levels 2 and 1 (DESIGN §3.5).
    pub components: crate::domain::exam::components::ComponentRule,
}

impl Default for ExamConfig {
    fn default() -> Self {
        ExamConfig {
            grace_seconds: 30,
            plans_require_approval: false,
            writers: 0,
            max_extension_minutes: 30,
            login_opens_minutes_before: 60,
            late_entry_minutes: 30,
            default_duration_minutes: 90,
            pass_mark_percent: 60.0,
            proctors: crate::domain::exam::ProctorRatio::default(),
            review_window_hours: 15 * 24,
            verify_per_minute: 60,
            assessors: Default::default(),
            panel_aggregation: Default::default(),
            arbitration_spread_percent: 15.0,
            assessor_rotation_limit: 3,
            subsidies: Default::default(),
            components: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// A session unused this long ends.
    pub idle_minutes: i64,
    /// A session ends this long after login, used or not.
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    pub window_minutes: i64,
    /// Failed logins for one login name within the window before further tries are refused.
    pub per_account: i64,
    /// Failed logins from one address within the window before further tries are refused.
    pub per_address: i64,
    /// Exam-day login: wrong ID numbers for one admission number within the window
    /// before it is locked (a proctor of the candidate's room can unlock it).
    pub exam_per_admission: i64,
    /// Exam-day login attempts from one address within the window: a whole exam hall
    /// may sit behind one address, so this is far higher than for staff.
    pub exam_per_address: i64,
}

impl ThrottleConfig {
    /// The limits of one scope of sign-in.
    pub fn limits(&self, scope: crate::domain::throttle::Scope) -> crate::domain::throttle::Limits {
        use crate::domain::throttle::{Limits, Scope};
        match scope {
            Scope::Staff => Limits {
                per_key: self.per_account,
                per_address: self.per_address,
            },
            Scope::Exam => Limits {
                per_key: self.exam_per_admission,
                per_address: self.exam_per_address,
            },
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            admin_password: None,
            master_key: None,
            templates_dir: None,
            cookie_secure: false,
            public_url: None,
            trusted_proxies: Vec::new(),
            db_max_connections: 8,
            sessions: SessionConfig::default(),
            login_throttle: ThrottleConfig::default(),
            request_timeout_seconds: 30,
            regulator_name: "江苏省人力资源和社会保障厅职业技能鉴定指导中心".into(),
            exams: ExamConfig::default(),
            credit: Default::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_minutes: 120,
            absolute_hours: 12,
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            window_minutes: 15,
            per_account: 5,
            per_address: 30,
            exam_per_admission: 5,
            exam_per_address: 600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
}

impl Config {
    /// Loads the file (the given one, else `SKILLCERT_CONFIG`, else `./skillcert.toml`
    /// if present), then applies the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env_file = std::env::var_os("SKILLCERT_CONFIG").map(PathBuf::from);
        let path = file.map(Path::to_path_buf).or(env_file).or_else(|| {
            let p = PathBuf::from("skillcert.toml");
            p.exists().then_some(p)
        });
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path,
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config
            .credit
            .check()
            .map_err(|message| ConfigError::Parse {
                path: file.map(Path::to_path_buf).unwrap_or_default(),
                message,
            })?;
        Ok(config)
    }

    /// Applies `SKILLCERT_*` variables through `get`, so tests need not touch the
    /// process environment.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for (var, _) in ENV_VARS {
            let Some(v) = get(var) else { continue };
            match *var {
                "SKILLCERT_BIND" => self.bind = v,
                "SKILLCERT_DATA_DIR" => self.data_dir = PathBuf::from(v),
                "SKILLCERT_DATABASE_URL" => self.database_url = Some(v),
                "SKILLCERT_ADMIN_PASSWORD" => self.admin_password = Some(v),
                "SKILLCERT_MASTER_KEY" => self.master_key = Some(v),
                "SKILLCERT_TEMPLATES_DIR" => self.templates_dir = Some(PathBuf::from(v)),
                "SKILLCERT_PUBLIC_URL" => self.public_url = Some(v),
                "SKILLCERT_COOKIE_SECURE" => {
                    self.cookie_secure = match v.as_str() {
                        "1" | "true" | "yes" => true,
                        "0" | "false" | "no" | "" => false,
                        _ => {
                            return Err(ConfigError::Env {
                                var,
                                message: "expected true or false".into(),
                            })
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The public base address, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("skillcert.db").display()))
    }

    /// The effective settings as TOML, with secrets (and a password inside a database
    /// URL) masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = Some(mask_url_password(&self.database_url()));
        let mask = |s: &Option<String>| s.as_ref().map(|_| "********".to_string());
        shown.admin_password = mask(&self.admin_password);
        shown.master_key = mask(&self.master_key);
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot show settings: {e}"))
    }
}

fn mask_url_password(url: &str) -> String {
    // scheme://user:password@host → scheme://user:********@host
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "SKILLCERT_BIND" => Some("0.0.0.0:9000".into()),
            "SKILLCERT_DATA_DIR" => Some("/srv/sc".into()),
            "SKILLCERT_COOKIE_SECURE" => Some("true".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.database_url(), "sqlite:///srv/sc/skillcert.db");
        assert!(c.cookie_secure);
        let bad = Config::default()
            .apply_env(|k| (k == "SKILLCERT_COOKIE_SECURE").then(|| "maybe".into()));
        assert!(matches!(
            bad,
            Err(ConfigError::Env {
                var: "SKILLCERT_COOKIE_SECURE",
                ..
            })
        ));
    }

    #[test]
    fn printed_settings_mask_secrets() {
        let c = Config {
            admin_password: Some("hunter2hunter2".into()),
            database_url: Some("postgres://app:s3cret@db/skillcert".into()),
            ..Config::default()
        };
        let shown = c.to_masked_toml();
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("postgres://app:********@db/skillcert"));
    }
}
