//! Importing banks: the one path by which parsed files (any format) become stored items,
//! used by `skillcert import`, the web import page and the first start. All checks run
//! before anything is written: every assessment point must exist in its standard, no
//! item may repeat another in the file or in the bank, and the format's own errors must
//! be empty. With any error nothing is written; the items themselves go in one
//! transaction (the catalogue entry, standards and bank they need are written just before).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::audit::AuditEvent;
use crate::domain::item::{ItemJson, ItemStatus};
use crate::domain::standard::{Mode, Standard};
use crate::formats::{ImportError, Parsed, Problem};
use crate::store::items::{ImportOutcome, NewItem};
use crate::store::{Store, StoreError};

/// Where the items go and how.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The bank to import into; without it an own-format folder names its occupation and
    /// the bank `<occupation name>题库` of `owner_org` is used (created if needed).
    pub bank_id: Option<i64>,
    pub owner_org: i64,
    /// Standard for items whose file does not say (everything but the own format).
    pub level: Option<u8>,
    pub mode: Option<Mode>,
    /// Assessment point for items whose file does not name one.
    pub point: Option<String>,
    /// `Active` for reviewed material (shipped banks); `Draft` sends items to review.
    pub status: Option<ItemStatus>,
    pub dry_run: bool,
}

/// Who imports: a signed-in person or the operator at the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub items: Vec<ItemJson>,
    pub errors: Vec<ImportError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ImportOutcome>,
    /// External ids of the items written, in file order.
    #[serde(skip)]
    pub external_ids: Vec<String>,
}

fn external_id(dup_key: &str) -> String {
    let h = Sha256::digest(dup_key.as_bytes());
    format!("item-{}", &hex::encode(h)[..16])
}

pub async fn import(
    store: &dyn Store,
    parsed: Parsed,
    opts: &ImportOptions,
    actor: &Actor,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport {
        items: parsed.items.iter().map(|i| i.content.to_json()).collect(),
        errors: parsed.errors.clone(),
        bank_id: opts.bank_id,
        outcome: None,
        external_ids: Vec::new(),
    };
    // Which bank and which standards.
    let occupations = store.occupations().await?;
    let (bank_id, occupation_id) = match opts.bank_id {
        Some(id) => {
            let b = store.bank(id).await?;
            (Some(b.id), Some(b.occupation_id))
        }
        None => match &parsed.occupation {
            Some(o) => {
                let known = occupations
                    .iter()
                    .find(|x| x.code == o.code && x.edition == i64::from(o.edition))
                    .map(|x| x.id);
                let bank = match known {
                    Some(oid) => store
                        .banks()
                        .await?
                        .into_iter()
                        .find(|b| {
                            b.occupation_id == oid
                                && b.org_id == opts.owner_org
                                && b.name == bank_name(&o.name)
                        })
                        .map(|b| b.id),
                    None => None,
                };
                (bank, known)
            }
            None => (None, None),
        },
    };
    if bank_id.is_none() && parsed.occupation.is_none() {
        if !opts.dry_run {
            report.errors.push(ImportError::at(
                0,
                Problem::new(
                    "import_error.no_bank",
                    "name the bank to import into (--bank)",
                ),
            ));
        }
        return Ok(report);
    }
    let mut standards: Vec<Standard> = parsed.standards.clone();
    if let Some(oid) = occupation_id {
        for s in store.standards(oid).await? {
            if !standards
                .iter()
                .any(|x| x.level == s.level && x.mode == s.mode)
            {
                standards.push(s);
            }
        }
    }
    // Points, and duplicates within the file and against the bank.
    let mut existing: HashMap<String, String> = match bank_id {
        Some(b) => store.bank_dup_keys(b).await?.into_iter().collect(),
        None => HashMap::new(),
    };
    let codes: Vec<((u8, Mode), std::collections::HashSet<&str>)> = standards
        .iter()
        .map(|s| ((s.level, s.mode), s.point_codes()))
        .collect();
    let mut new_items = Vec::new();
    let mut seen_in_file: HashMap<String, usize> = HashMap::new();
    let mut ids_in_file: HashMap<String, usize> = HashMap::new();
    let status = opts.status.unwrap_or(ItemStatus::Draft);
    for (i, it) in parsed.items.iter().enumerate() {
        let target =
            parsed
                .item_standard
                .get(i)
                .copied()
                .flatten()
                .or(match (opts.level, opts.mode) {
                    (Some(l), Some(m)) => Some((l, m)),
                    (Some(l), None) => Some((l, Mode::Theory)),
                    _ => None,
                });
        let Some((level, mode)) = target else {
            report.errors.push(ImportError::at(
                it.line,
                Problem::new(
                    "import_error.no_level",
                    "the item's standard is unknown: give --level (and --mode)",
                ),
            ));
            continue;
        };
        let Some(point) = it.point.clone().or_else(|| opts.point.clone()) else {
            report.errors.push(ImportError::at(
                it.line,
                Problem::new(
                    "import_error.no_point",
                    "the item names no assessment point (鉴定点代码): give one in the file or with --point",
                ),
            ));
            continue;
        };
        match codes
            .iter()
            .find(|(k, _)| *k == (level, mode))
            .map(|(_, c)| c)
        {
            Some(c) if c.contains(point.as_str()) => {}
            Some(_) => {
                report.errors.push(ImportError::at(
                    it.line,
                    Problem::new(
                        "import_error.point_unknown",
                        format!(
                            "assessment point {point} is not in the level {level} {} standard",
                            mode.code()
                        ),
                    )
                    .with("point", &point)
                    .with("level", level),
                ));
                continue;
            }
            None => {
                report.errors.push(ImportError::at(
                    it.line,
                    Problem::new(
                        "import_error.no_standard",
                        format!(
                            "there is no level {level} {} standard for this occupation",
                            mode.code()
                        ),
                    )
                    .with("level", level),
                ));
                continue;
            }
        }
        let key = it.content.duplicate_key();
        let generated = it.external_id.is_none();
        let ext = it.external_id.clone().unwrap_or_else(|| external_id(&key));
        if let Some(first) = ids_in_file.insert(ext.clone(), it.line) {
            report.errors.push(ImportError::at(
                it.line,
                Problem::new(
                    "import_error.id_repeated",
                    format!("the id {ext} is used again (first on line {first})"),
                )
                .with("id", &ext)
                .with("first", first),
            ));
            continue;
        }
        if let Some(first) = seen_in_file.get(&key) {
            report.errors.push(ImportError::at(
                it.line,
                Problem::new(
                    "import_error.duplicate_in_file",
                    format!("duplicate of the item on line {first}"),
                )
                .with("first", first),
            ));
            continue;
        }
        seen_in_file.insert(key.clone(), it.line);
        // An item with its own id may be imported again (a new version, or unchanged);
        // an item without one is identified by its content, so meeting it again is a
        // duplicate.
        if let Some(other) = existing
            .get(&key)
            .filter(|other| **other != ext || generated)
        {
            report.errors.push(ImportError::at(
                it.line,
                Problem::new(
                    "import_error.duplicate_in_bank",
                    format!("the bank already holds this item as {other}"),
                )
                .with("id", other),
            ));
            continue;
        }
        existing.insert(key, ext.clone());
        new_items.push(NewItem {
            external_id: ext,
            level,
            mode,
            point,
            content: it.content.clone(),
            status,
        });
    }
    if !report.errors.is_empty() || opts.dry_run {
        return Ok(report);
    }
    // Write: catalogue entry, standards, bank, then all items in one transaction.
    let now = crate::now_ms();
    let audit_org = store.org(opts.owner_org).await.ok().and_then(|o| o.body_id);
    let event = |action: &str, object_type: &str, object_id: String| AuditEvent {
        at_ms: now,
        actor_user_id: actor.user_id,
        actor: actor.label.clone(),
        action: action.into(),
        object_type: object_type.into(),
        object_id,
        org_id: audit_org,
        details: "{}".into(),
    };
    let occupation_id = match (occupation_id, &parsed.occupation) {
        (_, Some(o)) => Some(store.upsert_occupation(o, now).await?.id),
        (oid, None) => oid,
    };
    let occupation_id = occupation_id.ok_or(StoreError::NotFound)?;
    for s in &parsed.standards {
        store
            .put_standard(
                occupation_id,
                s,
                event("standard.put", "occupation", occupation_id.to_string()),
            )
            .await?;
    }
    let bank_id = match bank_id {
        Some(b) => b,
        None => {
            let name = parsed
                .occupation
                .as_ref()
                .map(|o| bank_name(&o.name))
                .unwrap_or_default();
            store
                .ensure_bank(occupation_id, opts.owner_org, &name, now)
                .await?
        }
    };
    report.external_ids = new_items.iter().map(|i| i.external_id.clone()).collect();
    let outcome = store
        .import_items(
            bank_id,
            new_items,
            actor.user_id,
            event("bank.import", "bank", bank_id.to_string()),
        )
        .await?;
    report.bank_id = Some(bank_id);
    report.outcome = Some(outcome);
    Ok(report)
}

pub fn bank_name(occupation: &str) -> String {
    format!("{occupation}题库")
}

mod shipped {
    include!(concat!(env!("OUT_DIR"), "/shipped_banks.rs"));
}

/// The files of one bank folder: `(file name, bytes)`.
pub type BankFiles = Vec<(String, Vec<u8>)>;

/// The banks shipped in `question-banks/`, as `(folder, files)`.
pub fn shipped_banks() -> Vec<(&'static str, BankFiles)> {
    shipped::SHIPPED
        .iter()
        .map(|(dir, files)| {
            (
                *dir,
                files
                    .iter()
                    .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
                    .collect(),
            )
        })
        .collect()
}

/// Loads every shipped bank into regulator-owned banks, as active (reviewed) items.
/// Run on the very first start (no occupation known yet); a bank with errors is a bug
/// in the shipped files and stops the start.
pub async fn load_shipped(store: &dyn Store, regulator_org: i64) -> anyhow::Result<usize> {
    let limits = crate::formats::Limits::default();
    let mut total = 0;
    for (dir, files) in shipped_banks() {
        let mut parsed = crate::formats::own::read_files(&files, &limits);
        parsed.validate_items();
        let opts = ImportOptions {
            owner_org: regulator_org,
            status: Some(ItemStatus::Active),
            ..Default::default()
        };
        let report = import(
            store,
            parsed,
            &opts,
            &Actor {
                user_id: None,
                label: "system".into(),
            },
        )
        .await?;
        if !report.errors.is_empty() {
            let list: Vec<String> = report
                .errors
                .iter()
                .take(5)
                .map(|e| e.to_string())
                .collect();
            anyhow::bail!("shipped bank {dir} has errors: {}", list.join("; "));
        }
        total += report.outcome.map_or(0, |o| o.created as usize);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use crate::domain::assembly::{assemble, demo_template, PoolItem};

    /// Every shipped bank parses without errors, covers every area of its standard, and
    /// can assemble the shipped demo paper template.
    #[test]
    fn shipped_banks_assemble_the_demo_paper() {
        let banks = super::shipped_banks();
        assert!(banks.len() >= 8);
        for (dir, files) in banks {
            let mut p = crate::formats::own::read_files(&files, &Default::default());
            p.validate_items();
            assert!(p.errors.is_empty(), "{dir}: {:?}", p.errors);
            assert!(p.items.len() >= 60, "{dir}");
            let std = &p.standards[0];
            let pool: Vec<PoolItem> = p
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let point = it.point.clone().unwrap();
                    let area = std
                        .areas
                        .iter()
                        .position(|a| a.points.iter().any(|pt| pt.code == point))
                        .unwrap();
                    let importance = std.areas[area]
                        .points
                        .iter()
                        .find(|pt| pt.code == point)
                        .unwrap()
                        .importance;
                    PoolItem {
                        id: i as i64,
                        version: 1,
                        area,
                        point,
                        importance,
                        item_type: it.content.item_type,
                        difficulty: it.content.difficulty,
                        options: it.content.options.len() as u8,
                    }
                })
                .collect();
            for a in 0..std.areas.len() {
                assert!(
                    pool.iter().any(|i| i.area == a),
                    "{dir}: area {} has no items",
                    std.areas[a].code
                );
            }
            for seed in 0..20 {
                let paper = assemble(
                    std,
                    &demo_template(),
                    &pool,
                    &HashMap::new(),
                    &HashSet::new(),
                    seed,
                )
                .unwrap_or_else(|e| panic!("{dir}: {e}"));
                assert_eq!(paper.total_points, 100.0, "{dir}");
            }
        }
    }
}
