//! Items of a bank: listing and search (no keys), reading an item with every version
//! and its keys (audited), writing drafts, editing (a new version each time) and the
//! review life cycle (a reviewer never approves their own item).

use serde::{Deserialize, Serialize};

use super::bank_for;
use super::import::{self, Actor, ImportOptions, ImportReport};
use crate::app::{audit_by, App, Error, Result};
use crate::domain::item::{ItemContent, ItemInput, ItemStatus, Transition};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::standard::Mode;
use crate::domain::validate::FieldError;
use crate::formats::sanitize_html;
use crate::store::items::{BankInfo, ItemFilter, ItemReview, ItemSummary, ItemVersion};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemQuery {
    pub level: Option<u8>,
    pub mode: Option<String>,
    pub point: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
}

pub const PAGE_SIZE: i64 = 50;

pub async fn items(
    app: &App,
    p: &Principal,
    bank_id: i64,
    q: &ItemQuery,
) -> Result<Vec<ItemSummary>> {
    bank_for(app, p, bank_id, Action::ReadBank).await?;
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let filter = ItemFilter {
        level: q.level,
        mode: nonempty(&q.mode).and_then(|m| Mode::from_code(&m)),
        point: nonempty(&q.point),
        status: nonempty(&q.status).and_then(|s| ItemStatus::from_code(&s)),
        item_type: nonempty(&q.item_type)
            .and_then(|t| crate::domain::item::ItemType::from_code(&t)),
        q: nonempty(&q.q),
        limit: PAGE_SIZE,
        offset: q.page.unwrap_or(0).clamp(0, 100_000) * PAGE_SIZE,
    };
    Ok(app.store.items(bank_id, filter).await?)
}

#[derive(Debug, Serialize)]
pub struct ItemDetail {
    pub item: ItemSummary,
    pub bank: BankInfo,
    pub versions: Vec<ItemVersion>,
    pub reviews: Vec<ItemReview>,
    pub can_author: bool,
    pub can_review: bool,
    /// The versions carry their keys (a [`Keys::Reveal`] read, audited).
    pub keys_shown: bool,
}

/// Whether an item read shows its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Stems and options only: answers, references, rubrics and explanations removed.
    /// Nothing is audited; a page or link may show this freely.
    Hidden,
    /// Everything, and the read is written to the audit log first. Asked for by a
    /// deliberate POST, so no cross-site link or image can forge "key read" entries.
    Reveal,
}

/// An item with every version, its keys only when asked for ([`Keys::Reveal`], audited).
pub async fn item_detail(app: &App, p: &Principal, item_id: i64, keys: Keys) -> Result<ItemDetail> {
    let item = app.store.item(item_id).await?;
    let ctx = bank_for(app, p, item.bank_id, Action::ReadBank).await?;
    if keys == Keys::Reveal {
        let event = audit_by(
            p,
            "item.read_key",
            "item",
            item_id,
            ctx.owner.body_id,
            serde_json::json!({"bank_id": item.bank_id, "version": item.latest_version}),
        );
        app.store.append_audit(event).await?;
    }
    let mut versions = app.store.item_versions(item_id).await?;
    if keys == Keys::Hidden {
        for v in &mut versions {
            v.content = v.content.without_keys();
        }
    }
    Ok(ItemDetail {
        keys_shown: keys == Keys::Reveal,
        versions,
        reviews: app.store.item_reviews(item_id).await?,
        can_author: decide(p, Action::AuthorBank, &ctx.owner.as_ref()).is_ok(),
        can_review: decide(p, Action::ReviewBank, &ctx.owner.as_ref()).is_ok(),
        bank: ctx.bank,
        item,
    })
}

/// Checks and cleans an item a person wrote: rich text sanitised, type rules applied.
pub fn clean(input: ItemInput) -> Result<ItemContent> {
    let mut c = input
        .into_content()
        .map_err(|code| Error::Validation(vec![FieldError::new("correct", code)]))?;
    c.stem = sanitize_html(&c.stem);
    for o in &mut c.options {
        o.text = sanitize_html(&o.text);
    }
    c.reference = c
        .reference
        .map(|r| sanitize_html(&r))
        .filter(|r| !r.is_empty());
    c.explanation = c
        .explanation
        .map(|r| sanitize_html(&r))
        .filter(|r| !r.is_empty());
    c.validate().map_err(|e| {
        let (code, detail) = e.code();
        let field = FieldError::new(e.field(), code);
        Error::Validation(vec![match detail {
            Some(d) => field.with_detail(d),
            None => field,
        }])
    })?;
    Ok(c)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewItemInput {
    #[serde(flatten)]
    pub item: ItemInput,
    pub level: u8,
    #[serde(default = "theory")]
    pub mode: String,
    pub point: String,
    pub external_id: Option<String>,
}

fn theory() -> String {
    "theory".into()
}

/// Writes one new item as a draft (through the import path, so the same checks apply).
pub async fn create_item(
    app: &App,
    p: &Principal,
    bank_id: i64,
    input: NewItemInput,
) -> Result<i64> {
    let ctx = bank_for(app, p, bank_id, Action::AuthorBank).await?;
    let mode = Mode::from_code(&input.mode).ok_or_else(|| Error::field("mode", "item.mode"))?;
    let content = clean(input.item)?;
    if let Some(ext) = &input.external_id {
        // Creating never overwrites: edits go through edit_item, which keeps the history.
        if app.store.item_id_by_external(bank_id, ext).await?.is_some() {
            return Err(Error::Conflict(FieldError::new(
                "external_id",
                "item.exists",
            )));
        }
    }
    let mut parsed = crate::formats::Parsed::default();
    parsed.push_item(crate::formats::ParsedItem {
        line: 1,
        external_id: input.external_id,
        point: Some(input.point),
        category: None,
        content,
    });
    let opts = ImportOptions {
        bank_id: Some(bank_id),
        owner_org: ctx.owner.id,
        level: Some(input.level),
        mode: Some(mode),
        ..Default::default()
    };
    let report = import::import(
        app.store.as_ref(),
        parsed,
        &opts,
        &Actor {
            user_id: Some(p.user_id),
            label: p.login.clone(),
        },
    )
    .await?;
    if let Some(e) = report.errors.first() {
        return Err(Error::Validation(vec![FieldError::new(
            "item",
            "item.invalid",
        )
        .with_detail(e.message.clone())]));
    }
    let ext = report_external_id(&report).ok_or(Error::NotFound)?;
    app.store
        .item_id_by_external(bank_id, &ext)
        .await?
        .ok_or(Error::NotFound)
}

fn report_external_id(report: &ImportReport) -> Option<String> {
    report.external_ids.first().cloned()
}

pub async fn edit_item(
    app: &App,
    p: &Principal,
    item_id: i64,
    input: ItemInput,
    point: Option<String>,
) -> Result<i64> {
    let item = app.store.item(item_id).await?;
    let ctx = bank_for(app, p, item.bank_id, Action::AuthorBank).await?;
    let content = clean(input)?;
    if let Some(pt) = &point {
        let standards = app.store.standards(ctx.bank.occupation_id).await?;
        let ok = standards
            .iter()
            .any(|s| s.level == item.level && s.mode == item.mode && s.area_of(pt).is_some());
        if !ok {
            return Err(Error::field("point", "item.point_invalid"));
        }
    }
    let event = audit_by(
        p,
        "item.edit",
        "item",
        item_id,
        ctx.owner.body_id,
        serde_json::json!({"bank_id": item.bank_id}),
    );
    Ok(app
        .store
        .edit_item(item_id, content, point, p.user_id, event)
        .await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TransitionInput {
    /// `submit`, `approve`, `reject` or `retire`.
    pub action: String,
    pub comment: Option<String>,
}

pub async fn transition(
    app: &App,
    p: &Principal,
    item_id: i64,
    input: TransitionInput,
) -> Result<ItemStatus> {
    let by: Transition = serde_json::from_value(serde_json::Value::String(input.action.clone()))
        .map_err(|_| Error::field("action", "item.action"))?;
    let item = app.store.item(item_id).await?;
    let needed = match by {
        Transition::Approve | Transition::Reject => Action::ReviewBank,
        Transition::Submit | Transition::Retire => Action::AuthorBank,
    };
    let ctx = bank_for(app, p, item.bank_id, needed).await?;
    let comment = input
        .comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(Error::field_detail("comment", "field.too_long", "1000"));
    }
    let event = audit_by(
        p,
        &format!("item.{}", input.action),
        "item",
        item_id,
        ctx.owner.body_id,
        serde_json::json!({"bank_id": item.bank_id}),
    );
    Ok(app
        .store
        .transition_item(item_id, by, p.user_id, comment, event)
        .await?)
}

/// What changed between two versions, field by field (for the history view).
pub fn diff(old: &ItemContent, new: &ItemContent) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: String, b: String| {
        if a != b {
            out.push((field.to_string(), a, b));
        }
    };
    cmp("stem", old.stem.clone(), new.stem.clone());
    let opts = |c: &ItemContent| {
        c.options
            .iter()
            .map(|o| format!("{}. {}", o.key, o.text))
            .collect::<Vec<_>>()
            .join("\n")
    };
    cmp("options", opts(old), opts(new));
    cmp("answer", answer_text(old), answer_text(new));
    cmp(
        "reference",
        old.reference.clone().unwrap_or_default(),
        new.reference.clone().unwrap_or_default(),
    );
    cmp(
        "explanation",
        old.explanation.clone().unwrap_or_default(),
        new.explanation.clone().unwrap_or_default(),
    );
    cmp(
        "difficulty",
        old.difficulty.to_string(),
        new.difficulty.to_string(),
    );
    cmp("score", old.score.to_string(), new.score.to_string());
    out
}

/// Drafts an item can be created from with a plain form: type, stem, options one per
/// line, and the answer written as in the CSV template (B, ACD, 对/错, accepted|answers).
pub fn input_from_form(f: &ItemForm) -> Result<ItemInput> {
    let t = crate::domain::item::ItemType::from_code(f.item_type.trim())
        .ok_or_else(|| Error::field("type", "item.type_invalid"))?;
    let options: Vec<crate::domain::item::Choice> = f
        .options
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| crate::domain::item::Choice {
            key: crate::domain::item::option_key(i),
            text: crate::formats::escape_html(l),
        })
        .collect();
    let a = f.answer.trim();
    let keys = || {
        serde_json::json!(a
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_uppercase().to_string())
            .collect::<Vec<_>>())
    };
    use crate::domain::item::ItemType as T;
    let correct = match t {
        T::TrueFalse => serde_json::json!(matches!(a, "对" | "正确" | "true" | "T" | "t" | "√")),
        T::SingleChoice | T::MultipleChoice | T::Ordering => keys(),
        T::FillIn => serde_json::json!(a
            .split(['|', '｜'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()),
        T::Numerical => {
            let (v, tol) = a.split_once(['±', ':']).unwrap_or((a, "0"));
            serde_json::json!({"value": v.trim().parse::<f64>().map_err(|_| Error::field("answer", "item.correct"))?, "tolerance": tol.trim().parse::<f64>().unwrap_or(0.0)})
        }
        T::Matching => serde_json::json!(a
            .lines()
            .filter_map(|l| l.split_once("->"))
            .map(|(l, r)| [l.trim(), r.trim()])
            .collect::<Vec<_>>()),
        _ => serde_json::Value::Null,
    };
    Ok(ItemInput {
        item_type: t,
        stem: crate::formats::escape_html(f.stem.trim()),
        options,
        correct,
        reference: Some(crate::formats::escape_html(f.reference.trim())).filter(|s| !s.is_empty()),
        rubric: vec![],
        explanation: Some(crate::formats::escape_html(f.explanation.trim()))
            .filter(|s| !s.is_empty()),
        difficulty: f.difficulty.unwrap_or(3),
        score: f.score.unwrap_or(1.0),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    #[serde(rename = "type")]
    pub item_type: String,
    pub stem: String,
    pub options: String,
    pub answer: String,
    pub reference: String,
    pub explanation: String,
    pub difficulty: Option<u8>,
    pub score: Option<f64>,
    pub point: String,
    pub level: Option<u8>,
    pub mode: String,
    /// `preview` renders without saving.
    pub action: String,
}

/// The answer field of [`ItemForm`] for an existing item.
pub fn answer_text(c: &ItemContent) -> String {
    use crate::domain::item::Answer;
    match &c.answer {
        Answer::TrueFalse(b) => {
            if *b {
                "对".into()
            } else {
                "错".into()
            }
        }
        Answer::Keys(k) | Answer::Order(k) => k.concat(),
        Answer::Accepted(a) => a.join(" | "),
        Answer::Numerical { value, tolerance } => format!("{value}±{tolerance}"),
        Answer::Pairs(p) => p
            .iter()
            .map(|(l, r)| format!("{l} -> {r}"))
            .collect::<Vec<_>>()
            .join("\n"),
        Answer::Assessed => String::new(),
    }
}
