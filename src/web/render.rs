//! Page rendering: handlebars in strict mode (a missing variable is an error, not an
//! empty string), templates embedded in the binary, and an optional operator override
//! folder (a file `<name>.hbs` there replaces the embedded template of that name), as in
//! vaultwarden. One entry point, [`Templates::render`].

use std::path::Path;
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};

use super::i18n::{I18n, Lang};

/// `(name, source)` of every embedded template.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
    ("login", include_str!("../../templates/login.hbs")),
    ("dashboard", include_str!("../../templates/dashboard.hbs")),
    ("orgs", include_str!("../../templates/orgs.hbs")),
    ("org", include_str!("../../templates/org.hbs")),
    ("users", include_str!("../../templates/users.hbs")),
    ("user", include_str!("../../templates/user.hbs")),
    ("password", include_str!("../../templates/password.hbs")),
    ("audit", include_str!("../../templates/audit.hbs")),
    ("error", include_str!("../../templates/error.hbs")),
    ("banks", include_str!("../../templates/banks.hbs")),
    ("bank", include_str!("../../templates/bank.hbs")),
    ("item", include_str!("../../templates/item.hbs")),
    ("pool", include_str!("../../templates/pool.hbs")),
    ("import", include_str!("../../templates/import.hbs")),
    ("shortage", include_str!("../../templates/shortage.hbs")),
    ("plans", include_str!("../../templates/plans.hbs")),
    ("plan", include_str!("../../templates/plan.hbs")),
    ("relations", include_str!("../../templates/relations.hbs")),
    ("proctor", include_str!("../../templates/proctor.hbs")),
    ("console", include_str!("../../templates/console.hbs")),
    ("inspect", include_str!("../../templates/inspect.hbs")),
    ("exam_login", include_str!("../../templates/exam_login.hbs")),
    ("exam", include_str!("../../templates/exam.hbs")),
    ("results", include_str!("../../templates/results.hbs")),
    (
        "certificate",
        include_str!("../../templates/certificate.hbs"),
    ),
    ("verify", include_str!("../../templates/verify.hbs")),
    ("marking", include_str!("../../templates/marking.hbs")),
    ("mark", include_str!("../../templates/mark.hbs")),
    ("tickets", include_str!("../../templates/tickets.hbs")),
    ("subsidies", include_str!("../../templates/subsidies.hbs")),
    ("credit", include_str!("../../templates/credit.hbs")),
    (
        "credit_desk",
        include_str!("../../templates/credit_desk.hbs"),
    ),
    ("catalogue", include_str!("../../templates/catalogue.hbs")),
    ("item_stats", include_str!("../../templates/item_stats.hbs")),
    ("reports", include_str!("../../templates/reports.hbs")),
    ("training", include_str!("../../templates/training.hbs")),
    (
        "report_table",
        include_str!("../../templates/report_table.hbs"),
    ),
    ("record", include_str!("../../templates/record.hbs")),
    (
        "item_fields",
        include_str!("../../templates/item_fields.hbs"),
    ),
    (
        "item_preview",
        include_str!("../../templates/item_preview.hbs"),
    ),
];

pub struct Templates {
    hb: Handlebars<'static>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {message}")]
    Load { name: String, message: String },
}

impl Templates {
    pub fn load(i18n: Arc<I18n>, override_dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        // A partial called from an indented line must not indent its own lines: that
        // indentation lands inside <textarea> values and grows on every preview.
        hb.set_prevent_indent(true);
        hb.register_helper("t", Box::new(Translate(i18n)));
        hb.register_helper("rich", Box::new(Rich));
        hb.register_helper("field_error", Box::new(FieldErrorHelper));
        for (name, embedded) in EMBEDDED {
            let source = match override_dir.map(|d| d.join(format!("{name}.hbs"))) {
                Some(p) if p.exists() => {
                    std::fs::read_to_string(&p).map_err(|e| TemplateError::Load {
                        name: name.to_string(),
                        message: e.to_string(),
                    })?
                }
                _ => embedded.to_string(),
            };
            hb.register_template_string(name, source)
                .map_err(|e| TemplateError::Load {
                    name: name.to_string(),
                    message: e.to_string(),
                })?;
        }
        Ok(Templates { hb })
    }

    pub fn render(
        &self,
        name: &str,
        data: &serde_json::Value,
    ) -> Result<String, handlebars::RenderError> {
        self.hb.render(name, data)
    }
}

/// `{{rich html}}`: stored rich text, sanitised again on the way out (defence in depth:
/// it was sanitised on input too) and written without escaping.
struct Rich;

impl HelperDef for Rich {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .map(|v| v.value())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("rich", 0))?;
        if let Some(s) = v.as_str() {
            out.write(&crate::formats::sanitize_html(s))?;
        }
        Ok(())
    }
}

/// `{{field_error "name"}}`: the messages of the form's errors about field `name` (or
/// its parts, `name[3]…`, `name.code`), next to the field; nothing when there are
/// none. The errors are the page's `errors` list.
struct FieldErrorHelper;

impl HelperDef for FieldErrorHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = h
            .param(0)
            .and_then(|v| v.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("field_error", 0))?;
        let errors = ctx.data().get("errors").and_then(|e| e.as_array());
        for e in errors.into_iter().flatten() {
            let field = e.get("field").and_then(|f| f.as_str()).unwrap_or("");
            let row = field
                .strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']));
            if row {
                let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
                out.write("<span class=\"field-error\" data-field=\"")?;
                out.write(&handlebars::html_escape(field))?;
                out.write("\">")?;
                out.write(&handlebars::html_escape(message))?;
                out.write("</span>")?;
            }
        }
        Ok(())
    }
}

/// `{{t "key"}}` or `{{t "prefix" value}}` (looks up `prefix.value`), in the language of
/// the page (`lang` at the root of the data); `detail=x` fills the message's `{detail}`.
struct Translate(Arc<I18n>);

impl HelperDef for Translate {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let first = h
            .param(0)
            .and_then(|v| v.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        let key = match h.param(1).map(|v| v.value()) {
            Some(serde_json::Value::String(s)) => format!("{first}.{s}"),
            Some(v) if !v.is_null() => format!("{first}.{v}"),
            _ => first.to_string(),
        };
        let lang = ctx
            .data()
            .get("lang")
            .and_then(|v| v.as_str())
            .and_then(Lang::from_code)
            .unwrap_or(Lang::Zh);
        let detail = h.hash_get("detail").map(|v| match v.value() {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        out.write(&handlebars::html_escape(&self.0.t(
            lang,
            &key,
            detail.as_deref(),
        )))?;
        Ok(())
    }
}
