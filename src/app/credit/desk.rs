//! The regulator's desk (proposals, open appeals, every body's standing), the public
//! catalogue of bodies in good standing, and the re-filing bar after exit.

use serde::Serialize;

use super::this_year;
use crate::app::{App, Error, Result};
use crate::domain::credit::{body_standing, EventStatus, Standing, SubjectKind};
use crate::domain::org::{OrgKind, ScopeEntry};
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::store::credit::{Appeal, CreditEvent};
use crate::store::{Org, OrgFilter};

/// The regulator's desk: proposals waiting for a decision, open appeals, and every
/// body with its standing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Desk {
    pub proposals: Vec<CreditEvent>,
    pub open_appeals: Vec<OpenAppeal>,
    pub recent: Vec<CreditEvent>,
    pub bodies: Vec<BodyRow>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenAppeal {
    pub event: CreditEvent,
    pub appeal: Appeal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BodyRow {
    pub id: i64,
    pub name: String,
    pub standing: Standing,
}

/// Every body's standing, computed from the ledgers in one read.
pub async fn bodies(app: &App) -> Result<Vec<(Org, Standing)>> {
    let entries = app.store.credit_entries(SubjectKind::Body).await?;
    let orgs = app
        .store
        .orgs(OrgFilter {
            kind: Some(OrgKind::Body),
            ..Default::default()
        })
        .await?;
    let year = this_year();
    Ok(orgs
        .into_iter()
        .map(|o| {
            let mine: Vec<_> = entries
                .iter()
                .filter(|(id, _)| *id == o.id)
                .map(|(_, e)| *e)
                .collect();
            let s = body_standing(&mine, year, &app.config.credit);
            (o, s)
        })
        .collect())
}

pub async fn desk(app: &App, p: &Principal) -> Result<Desk> {
    if !(p.is_regulator_admin() || p.has_role(Role::QualityInspector)) {
        return Err(Error::Forbidden);
    }
    let proposals = app
        .store
        .credit_events_where(None, Some(EventStatus::Proposed), 200)
        .await?;
    let recent = app.store.credit_events_where(None, None, 50).await?;
    let mut open_appeals = Vec::new();
    for e in app.store.open_appeal_events().await? {
        if let Some(a) = e.open_appeal_id {
            let appeal = app.store.appeal(a).await?;
            open_appeals.push(OpenAppeal { event: e, appeal });
        }
    }
    let bodies = bodies(app)
        .await?
        .into_iter()
        .map(|(o, s)| BodyRow {
            id: o.id,
            name: o.name,
            standing: s,
        })
        .collect();
    Ok(Desk {
        proposals,
        open_appeals,
        recent,
        bodies,
    })
}

/// One body of the public catalogue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogueBody {
    pub id: i64,
    pub name: String,
    pub name_en: Option<String>,
    pub address: Option<String>,
    pub grade: String,
    #[schema(value_type = Vec<Object>)]
    pub scope: Vec<ScopeEntry>,
}

/// Public: the bodies in good standing (exited and suspended ones are not listed),
/// with their filed scope and grade.
pub async fn catalogue(app: &App) -> Result<Vec<CatalogueBody>> {
    let mut out = Vec::new();
    for (o, s) in bodies(app).await? {
        if !s.in_good_standing() {
            continue;
        }
        out.push(CatalogueBody {
            id: o.id,
            scope: app.store.body_scope(o.id).await?,
            name: o.name,
            name_en: o.name_en,
            address: o.address,
            grade: s.grade.code().to_string(),
        });
    }
    Ok(out)
}

/// A new body may not be filed under the name or code of a body that exited within
/// the bar period.
pub async fn refuse_barred_refiling(app: &App, name: &str, body_code: Option<&str>) -> Result<()> {
    let now = crate::now_ms();
    for (o, s) in bodies(app).await? {
        let Some(exited) = s.exited_at_ms else {
            continue;
        };
        let same_code = body_code.is_some_and(|c| c != "0000" && o.body_code.as_deref() == Some(c));
        if (o.name.trim() == name.trim() || same_code)
            && crate::domain::credit::refile_barred(exited, now, &app.config.credit)
        {
            return Err(Error::field_detail(
                if same_code { "body_code" } else { "name" },
                "credit_error.refile_barred",
                crate::domain::time::local_date(
                    exited + app.config.credit.refile_bar_days * 86_400_000,
                )
                .to_string(),
            ));
        }
    }
    Ok(())
}
