//! Organisations: filing evaluation bodies (regulator), adding test sites and rooms
//! (body admins), status and filed scope.

use serde::Deserialize;

use super::{audit_by, authorize, non_empty, App, Error, Result};
use crate::domain::org::{
    validate_body_codes, BodyType, CertificateKind, Level, OccupationCode, OrgKind, ScopeEntry,
};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::domain::validate::{FieldError, Fields};
use crate::store::{NewOrg, Org, OrgFilter};

/// Input for a new organisation; text fields are checked here, so that a bad value gets
/// a message naming its field instead of a parser error.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CreateOrg {
    /// `body`, `test_site` or `room`.
    pub kind: String,
    /// Required for test sites (a body) and rooms (a test site); bodies hang under the regulator.
    pub parent_id: Option<i64>,
    pub name: String,
    pub name_en: Option<String>,
    /// For bodies: `employer` (Y), `social_organisation` (S), `qualification`, `special_ability`.
    pub body_type: Option<String>,
    /// For bodies: 4 digits (`0000` when filed with the province).
    pub body_code: Option<String>,
    /// For bodies: 2 digits (Jiangsu 32).
    pub province_code: Option<String>,
    /// For bodies: 6 digits.
    pub site_code: Option<String>,
    pub address: Option<String>,
    /// Rooms only, and required for them: the seats (1–1000).
    #[serde(deserialize_with = "super::lenient_i64")]
    pub capacity: Option<i64>,
}

/// Seats a room may have.
pub const MAX_ROOM_CAPACITY: i64 = 1000;

/// The regulator organisation (there is exactly one once the instance has started).
pub async fn regulator(store: &dyn crate::store::Store) -> Result<Org> {
    store
        .orgs(OrgFilter {
            kind: Some(OrgKind::Regulator),
            ..Default::default()
        })
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)
}

/// Loads an organisation the caller may see (404 otherwise).
pub async fn visible(app: &App, p: &Principal, id: i64) -> Result<Org> {
    let org = app.store.org(id).await?;
    decide(p, Action::ViewOrg, &org.as_ref()).map_err(|_| Error::NotFound)?;
    Ok(org)
}

pub async fn create(app: &App, p: &Principal, input: CreateOrg) -> Result<Org> {
    let mut f = Fields::default();
    let kind = match OrgKind::from_code(input.kind.trim()) {
        Some(k) if k != OrgKind::Regulator => Some(k),
        _ => {
            f.push(FieldError::new("kind", "org.kind_invalid"));
            None
        }
    };
    let name = f.text("name", &input.name, 100);
    let name_en = non_empty(&input.name_en);
    if name_en.as_ref().is_some_and(|n| n.chars().count() > 200) {
        f.push(FieldError::new("name_en", "field.too_long").with_detail("200"));
    }
    let address = non_empty(&input.address);
    if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
        f.push(FieldError::new("address", "field.too_long").with_detail("200"));
    }
    let mut new = NewOrg {
        kind: kind.unwrap_or(OrgKind::Room),
        parent_id: input.parent_id,
        name,
        name_en,
        body_type: None,
        body_code: None,
        province_code: None,
        site_code: None,
        address,
        capacity: None,
    };
    if kind == Some(OrgKind::Room) {
        match input.capacity {
            Some(n) if (1..=MAX_ROOM_CAPACITY).contains(&n) => new.capacity = Some(n),
            Some(_) => f.push(
                FieldError::new("capacity", "field.range")
                    .with_detail(format!("1–{MAX_ROOM_CAPACITY}")),
            ),
            None => f.push(FieldError::new("capacity", "field.required")),
        }
    }
    if kind == Some(OrgKind::Body) {
        new.body_type = match non_empty(&input.body_type)
            .as_deref()
            .and_then(BodyType::from_code)
        {
            Some(t) => Some(t),
            None => {
                f.push(FieldError::new("body_type", "org.body_type_invalid"));
                None
            }
        };
        let body_code = non_empty(&input.body_code).unwrap_or_default();
        let province = non_empty(&input.province_code).unwrap_or_default();
        let site = non_empty(&input.site_code).unwrap_or_default();
        validate_body_codes(&body_code, &province, &site, &mut f);
        new.body_code = Some(body_code);
        new.province_code = Some(province);
        new.site_code = Some(site);
        if new.parent_id.is_none() {
            new.parent_id = Some(regulator(app.store.as_ref()).await?.id);
        }
    } else if kind.is_some() && new.parent_id.is_none() {
        f.push(FieldError::new("parent_id", "field.required"));
    }
    f.finish().map_err(Error::Validation)?;
    let kind = new.kind;
    let parent = app
        .store
        .org(new.parent_id.unwrap_or_default())
        .await
        .map_err(|_| Error::field("parent_id", "org.parent_missing"))?;
    authorize(p, Action::CreateChildOrg(kind), &parent)?;
    if kind == OrgKind::Body {
        // DESIGN §3.8: an exited body may not be filed again within the bar period.
        crate::app::credit::refuse_barred_refiling(app, &new.name, new.body_code.as_deref())
            .await?;
    }
    let details =
        serde_json::json!({"kind": kind.code(), "name": new.name, "parent_id": parent.id});
    let event = audit_by(p, "org.create", "org", "", parent.body_id, details);
    Ok(app.store.create_org(new, event).await?)
}

/// The organisations the caller may see: everything for the regulator, else the trees of
/// the bodies where they administer or inspect.
pub async fn list(app: &App, p: &Principal) -> Result<Vec<Org>> {
    let sees_all = p.is_regulator_admin()
        || p.grants
            .iter()
            .any(|g| g.role == Role::QualityInspector && g.org.kind == OrgKind::Regulator);
    if sees_all {
        return Ok(app.store.orgs(OrgFilter::default()).await?);
    }
    let mut out = Vec::new();
    let mut bodies: Vec<i64> = p
        .grants
        .iter()
        .filter(|g| decide(p, Action::ViewOrg, &g.org).is_ok())
        .filter_map(|g| g.org.body_id)
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    for b in bodies {
        out.extend(
            app.store
                .orgs(OrgFilter {
                    body_id: Some(b),
                    ..Default::default()
                })
                .await?,
        );
    }
    Ok(out)
}

/// An organisation as its page shows it: its children, what the caller may do there,
/// and for a body its filed scope (with the catalogue to file from, for the regulator).
pub struct OrgDetail {
    pub org: Org,
    pub children: Vec<Org>,
    /// The kind of organisation that hangs under this one.
    pub child_kind: Option<OrgKind>,
    pub can_add_child: bool,
    /// The caller files the body (scope and status): the regulator.
    pub can_file: bool,
    pub scope: Vec<ScopeEntry>,
    /// Occupations of the catalogue, when the caller files the scope.
    pub catalogue: Vec<crate::store::catalogue::Occupation>,
}

pub async fn detail(app: &App, p: &Principal, id: i64) -> Result<OrgDetail> {
    let org = visible(app, p, id).await?;
    let children = app
        .store
        .orgs(OrgFilter {
            parent_id: Some(org.id),
            ..Default::default()
        })
        .await?;
    let child_kind = match org.kind {
        OrgKind::Regulator => Some(OrgKind::Body),
        OrgKind::Body => Some(OrgKind::TestSite),
        OrgKind::TestSite => Some(OrgKind::Room),
        OrgKind::Room => None,
    };
    // Bodies are filed from the list page, where their codes are asked for.
    let can_add_child = child_kind
        .filter(|k| *k != OrgKind::Body)
        .is_some_and(|k| decide(p, Action::CreateChildOrg(k), &org.as_ref()).is_ok());
    let can_file = org.kind == OrgKind::Body && decide(p, Action::FileBody, &org.as_ref()).is_ok();
    let scope = match org.kind {
        OrgKind::Body => app.store.body_scope(org.id).await?,
        _ => Vec::new(),
    };
    let catalogue = match can_file {
        true => app.store.occupations().await?,
        false => Vec::new(),
    };
    Ok(OrgDetail {
        org,
        children,
        child_kind,
        can_add_child,
        can_file,
        scope,
        catalogue,
    })
}

/// One scope entry as clients send it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct ScopeInput {
    /// `d-dd-dd-dd`
    pub occupation_code: String,
    /// 2015 or 2022
    pub edition: u16,
    /// 1–5; omitted for certificate kinds without levels.
    pub level: Option<u8>,
    pub certificate_kind: String,
}

impl From<&ScopeEntry> for ScopeInput {
    fn from(s: &ScopeEntry) -> Self {
        ScopeInput {
            occupation_code: s.occupation.code().to_string(),
            edition: s.occupation.edition(),
            level: s.level.map(Level::get),
            certificate_kind: s.certificate_kind.code().to_string(),
        }
    }
}

/// A body's filed scope, for those who may see the body.
pub async fn scope(app: &App, p: &Principal, id: i64) -> Result<Vec<ScopeEntry>> {
    let org = visible(app, p, id).await?;
    Ok(app.store.body_scope(org.id).await?)
}

pub async fn set_scope(
    app: &App,
    p: &Principal,
    id: i64,
    input: Vec<ScopeInput>,
) -> Result<Vec<ScopeEntry>> {
    let org = visible(app, p, id).await?;
    authorize(p, Action::FileBody, &org)?;
    let catalogue = app.store.occupations().await?;
    let mut f = Fields::default();
    let mut scope = Vec::new();
    for (i, s) in input.iter().enumerate() {
        let field = |name: &str| format!("scope[{i}].{name}");
        // Only what the catalogue holds can be filed: an occupation of that edition,
        // at a level and for a certificate it offers (planning needs its standard).
        let listed = catalogue
            .iter()
            .find(|o| o.code == s.occupation_code.trim() && o.edition == i64::from(s.edition));
        match listed {
            None if OccupationCode::parse(&s.occupation_code, s.edition).is_ok() => {
                f.push(
                    FieldError::new(field("occupation_code"), "org.scope_unknown")
                        .with_detail(format!("{} ({})", s.occupation_code.trim(), s.edition)),
                );
                continue;
            }
            Some(o) => {
                if !o.certificate_kinds.contains(&s.certificate_kind) {
                    f.push(FieldError::new(
                        field("certificate_kind"),
                        "org.scope_kind_not_offered",
                    ));
                }
                if s.level.is_some_and(|l| !o.levels.contains(&l)) {
                    f.push(FieldError::new(
                        field("level"),
                        "org.scope_level_not_offered",
                    ));
                }
            }
            None => {}
        }
        let occupation = OccupationCode::parse(&s.occupation_code, s.edition)
            .map_err(|code| f.push(FieldError::new(field("occupation_code"), code)))
            .ok();
        let kind = CertificateKind::from_code(&s.certificate_kind);
        if kind.is_none() {
            f.push(FieldError::new(
                field("certificate_kind"),
                "org.certificate_kind",
            ));
        }
        let level = match (s.level, kind.map(CertificateKind::has_level)) {
            (Some(n), Some(true)) => {
                let l = Level::new(n);
                if l.is_none() {
                    f.push(FieldError::new(field("level"), "org.level"));
                }
                l
            }
            (None, Some(true)) => {
                f.push(FieldError::new(field("level"), "org.level"));
                None
            }
            _ => None,
        };
        if let (Some(occupation), Some(certificate_kind)) = (occupation, kind) {
            scope.push(ScopeEntry {
                occupation,
                level,
                certificate_kind,
            });
        }
    }
    f.finish().map_err(Error::Validation)?;
    scope.sort();
    scope.dedup();
    let event = audit_by(
        p,
        "org.scope",
        "org",
        id,
        org.body_id,
        serde_json::json!({"entries": scope.len()}),
    );
    app.store.set_body_scope(id, scope.clone(), event).await?;
    Ok(scope)
}
