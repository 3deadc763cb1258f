//! The catalogue: occupations (regulator), and the province's dated shortage
//! catalogues, public to read.

use serde::Deserialize;

use crate::app::{audit_by, App, Error, Result};
use crate::domain::org::{CertificateKind, OccupationCode};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::time::parse_date;
use crate::domain::validate::{FieldError, Fields};
use crate::formats::OccupationEntry;
use crate::store::catalogue::{Occupation, ShortageCatalogue};

/// An occupation of the national classification, as the regulator enters it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OccupationInput {
    pub code: String,
    pub edition: u16,
    pub name: String,
    pub name_en: Option<String>,
    pub levels: Vec<u8>,
    #[serde(default)]
    pub certificate_kinds: Vec<String>,
}

/// The occupation catalogue (public).
pub async fn occupations(app: &App) -> Result<Vec<Occupation>> {
    Ok(app.store.occupations().await?)
}

/// Creates an occupation or updates its names, levels and certificate kinds.
pub async fn put_occupation(app: &App, p: &Principal, o: OccupationInput) -> Result<Occupation> {
    decide(p, Action::ManageCatalogue, &p.home_org).map_err(|_| Error::Forbidden)?;
    let mut f = Fields::default();
    if let Err(code) = OccupationCode::parse(&o.code, o.edition) {
        f.push(FieldError::new("code", code));
    }
    let name = f.text("name", &o.name, 100);
    if o.levels.is_empty() || o.levels.iter().any(|l| !(1..=5).contains(l)) {
        f.push(FieldError::new("levels", "org.level"));
    }
    if let Some(k) = o
        .certificate_kinds
        .iter()
        .find(|k| CertificateKind::from_code(k).is_none())
    {
        f.push(FieldError::new("certificate_kinds", "org.certificate_kind").with_detail(k.clone()));
    }
    f.finish().map_err(Error::Validation)?;
    let entry = OccupationEntry {
        code: o.code.trim().into(),
        edition: o.edition,
        name,
        name_en: o.name_en,
        levels: o.levels,
        certificate_kinds: o.certificate_kinds,
    };
    let occ = app.store.upsert_occupation(&entry, crate::now_ms()).await?;
    let event = audit_by(
        p,
        "occupation.put",
        "occupation",
        occ.id,
        None,
        serde_json::json!({"code": occ.code}),
    );
    app.store.append_audit(event).await?;
    Ok(occ)
}

/// The shortage catalogues in force today (public).
pub async fn shortage_today(app: &App) -> Result<(String, Vec<ShortageCatalogue>)> {
    let date = crate::today().to_string();
    let catalogues = app.store.shortage_catalogues(&date).await?;
    Ok((date, catalogues))
}

/// Publishes a dated shortage catalogue (regulator only).
/// Publishes a dated shortage catalogue (regulator only).
pub async fn publish_shortage(
    app: &App,
    p: &Principal,
    name: &str,
    valid_from: &str,
    valid_to: &str,
    occupation_ids: &[i64],
) -> Result<i64> {
    decide(p, Action::ManageCatalogue, &p.home_org).map_err(|_| Error::Forbidden)?;
    let mut f = Fields::default();
    let name = f.text("name", name, 100);
    if parse_date(valid_from).is_none() {
        f.push(FieldError::new("valid_from", "field.date"));
    }
    if parse_date(valid_to).is_none() || valid_to < valid_from {
        f.push(FieldError::new("valid_to", "field.date"));
    }
    if occupation_ids.is_empty() {
        f.push(FieldError::new("occupation_ids", "field.required"));
    }
    f.finish().map_err(Error::Validation)?;
    let event = audit_by(
        p,
        "shortage.create",
        "shortage_catalogue",
        "",
        None,
        serde_json::json!({"name": name}),
    );
    Ok(app
        .store
        .create_shortage_catalogue(&name, valid_from, valid_to, occupation_ids, event)
        .await?)
}
