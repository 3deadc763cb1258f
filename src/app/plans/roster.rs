//! The roster: candidates enrolled with their real-name records (all or none, errors
//! naming the line), and the relations staff declare for recusal (回避).

use serde::{Deserialize, Serialize};

use super::plan_to_change;
use crate::app::{audit_by, App, Error, Result};
use crate::domain::exam::Relation;
use crate::domain::identity::{Document, DocumentType};
use crate::domain::policy::Principal;
use crate::domain::validate::{FieldError, Fields};
use crate::store::plans::{Enrolled, NewCandidate};

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PersonInput {
    pub name: String,
    /// `resident_id` (default), `residence_permit`, `foreign_permanent_resident`, `passport`.
    pub document_type: Option<String>,
    pub id_number: String,
}

/// A relation to declare: the other person's document and how they are related. No
/// name: the declaration is matched by the document alone and never creates or renames
/// a real-name record (a `name` sent by older clients is ignored).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RelationInput {
    /// `resident_id` (default), `residence_permit`, `foreign_permanent_resident`, `passport`.
    pub document_type: Option<String>,
    pub id_number: String,
    /// `close_relative`, `teacher_student`, `master_apprentice`, `colleague`, `same_training_body`.
    pub relation: String,
}

/// A checked real-name record for enrolment: name and document.
pub(crate) fn parse_person(
    app: &App,
    input: &PersonInput,
    prefix: &str,
    f: &mut Fields,
) -> Option<crate::store::NewPerson> {
    let name = input.name.trim();
    if name.is_empty() {
        f.push(FieldError::new(format!("{prefix}name"), "field.required"));
    } else if name.chars().count() > 50 {
        f.push(FieldError::new(format!("{prefix}name"), "field.too_long").with_detail("50"));
    } else if !crate::domain::identity::plausible_person_name(name) {
        f.push(FieldError::new(format!("{prefix}name"), "name.characters"));
    }
    let d = parse_document(input.document_type.as_deref(), &input.id_number, prefix, f)?;
    Some(crate::app::users::new_person(app, name, &d))
}

/// A checked identity document; errors go to `{prefix}document_type` or
/// `{prefix}id_number`.
fn parse_document(
    document_type: Option<&str>,
    id_number: &str,
    prefix: &str,
    f: &mut Fields,
) -> Option<Document> {
    let doc_type = match document_type.map(str::trim).filter(|s| !s.is_empty()) {
        None => DocumentType::ResidentId,
        Some(code) => match DocumentType::from_code(code) {
            Some(t) => t,
            None => {
                f.push(FieldError::new(
                    format!("{prefix}document_type"),
                    "document.type_invalid",
                ));
                return None;
            }
        },
    };
    match Document::parse(doc_type, id_number, crate::today()) {
        Ok(d) => Some(d),
        Err(e) => {
            let mut fe = crate::app::users::document_field_error(e);
            fe.field = format!("{prefix}id_number");
            f.push(fe);
            None
        }
    }
}

/// A staff member declares a relation to a person (回避); assignments then refuse
/// them for sessions where that person sits.
pub async fn declare_relation(app: &App, p: &Principal, input: RelationInput) -> Result<()> {
    let mut f = Fields::default();
    let relation = Relation::from_code(input.relation.trim());
    if relation.is_none() {
        f.push(FieldError::new("relation", "exam_error.relation"));
    }
    let document = parse_document(input.document_type.as_deref(), &input.id_number, "", &mut f);
    f.finish().map_err(Error::Validation)?;
    let (Some(document), Some(relation)) = (document, relation) else {
        unreachable!("checked")
    };
    let event = audit_by(
        p,
        "staff.declare_relation",
        "user",
        p.user_id,
        p.home_org.body_id,
        serde_json::json!({"relation": relation.code()}),
    );
    app.store
        .declare_relation(
            p.user_id,
            &app.keys.document_lookup(&document),
            relation,
            event,
        )
        .await?;
    Ok(())
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CandidateInput {
    #[serde(flatten)]
    pub person: PersonInput,
    pub session_id: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RosterInput {
    pub candidates: Vec<CandidateInput>,
}

/// Enrols candidates (all or none); errors name the line, e.g. `candidates[3].id_number`.
pub async fn add_candidates(
    app: &App,
    p: &Principal,
    plan_id: i64,
    input: RosterInput,
) -> Result<Vec<Enrolled>> {
    let (plan, body) = plan_to_change(app, p, plan_id).await?;
    if input.candidates.is_empty() || input.candidates.len() > 20_000 {
        return Err(Error::field("candidates", "field.required"));
    }
    let mut f = Fields::default();
    let mut out = Vec::with_capacity(input.candidates.len());
    for (i, c) in input.candidates.iter().enumerate() {
        if let Some(person) = parse_person(app, &c.person, &format!("candidates[{i}]."), &mut f) {
            out.push(NewCandidate {
                person,
                session_id: c.session_id,
            });
        }
    }
    f.finish().map_err(Error::Validation)?;
    let event = audit_by(
        p,
        "plan.enrol",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"candidates": out.len()}),
    );
    match app.store.add_candidates(plan.id, out, event).await {
        // Named at its line, like every other error of the roster.
        Err(crate::store::StoreError::Refused {
            code: "person.name_mismatch",
            detail,
            ..
        }) => Err(Error::field(
            &format!("candidates[{detail}].name"),
            "person.name_mismatch",
        )),
        Err(crate::store::StoreError::Refused {
            code: "exam_error.room_full",
            detail,
            ..
        }) => Err(Error::field(
            &format!("candidates[{detail}].session_id"),
            "exam_error.room_full",
        )),
        r => Ok(r?),
    }
}
