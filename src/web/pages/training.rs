//! The training page (body admins): record a course a person completed, with its hours
//! and credits, and read the body's recent records. The person sees them in their
//! skills record.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::plans::with_errors;
use super::{page, see_other};
use crate::app;
use crate::app::training::TrainingInput;
use crate::domain::exam::points_text;
use crate::domain::role::Role;
use crate::web::ctx::{Ctx, RequestCtx};
use crate::web::error::{AppError, Form};
use crate::web::AppState;

/// The body the caller administers (the first, if several).
fn body_of(ctx: &RequestCtx) -> Result<i64, AppError> {
    ctx.principal()?
        .grants
        .iter()
        .find(|g| g.role == Role::BodyAdmin)
        .and_then(|g| g.org.body_id)
        .ok_or(app::Error::Forbidden)
}

async fn training_page(
    st: &AppState,
    ctx: &RequestCtx,
    form: Value,
    errors: Value,
) -> Result<Response, AppError> {
    let body = body_of(ctx)?;
    let list = app::training::body_records(&st.app, ctx.principal()?, body).await?;
    let status = super::form_status(&errors);
    let data = json!({
        "records": list.records.iter().map(|t| json!({"name": t.person_name, "document": t.document_masked,
            "course": t.course, "occupation": t.occupation_code, "hours": points_text(t.hours),
            "credits": points_text(t.credits), "on": t.completed_on, "by": t.recorded_by})).collect::<Vec<_>>(),
        "today": crate::today().to_string(),
        "form": form,
        "errors": errors,
    });
    Ok((status, page(st, ctx, "training", "training.title", data)?).into_response())
}

fn blank() -> Value {
    json!({"name": "", "id_number": "", "course": "", "occupation_code": "", "hours": "", "credits": "", "completed_on": ""})
}

pub async fn show(State(st): State<AppState>, Ctx(ctx): Ctx) -> Result<Response, AppError> {
    training_page(&st, &ctx, blank(), json!([])).await
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
pub struct TrainingForm {
    name: String,
    id_number: String,
    course: String,
    occupation_code: String,
    hours: String,
    credits: String,
    completed_on: String,
}

pub async fn record(
    State(st): State<AppState>,
    Ctx(ctx): Ctx,
    Form(f): Form<TrainingForm>,
) -> Result<Response, AppError> {
    let input = TrainingInput {
        body_id: body_of(&ctx)?,
        name: f.name.clone(),
        document_type: None,
        id_number: f.id_number.clone(),
        course: f.course.clone(),
        occupation_code: Some(f.occupation_code.clone()),
        hours: f.hours.trim().parse().unwrap_or(f64::NAN),
        credits: f.credits.trim().parse().unwrap_or(f64::NAN),
        completed_on: f.completed_on.clone(),
    };
    match app::training::record(&st.app, ctx.principal()?, input).await {
        Ok(_) => Ok(see_other("/training").into_response()),
        Err(e) => {
            let errors = with_errors(&st, &ctx, e)?;
            let form = serde_json::to_value(&f).unwrap_or_else(|_| blank());
            training_page(&st, &ctx, form, errors).await
        }
    }
}
