//! Field errors: the one shape in which every layer reports bad input, so that the web
//! edge can name the field and translate the message.

use serde::Serialize;

/// One problem with one field. `code` is a stable message key (translated at the edge);
/// `detail` carries values for the message such as the expected check character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A collector of field errors, so a form reports every problem at once.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// Checks a required, trimmed text field of at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.push(FieldError::new(field, "field.required"));
        } else if v.chars().count() > max {
            self.push(FieldError::new(field, "field.too_long").with_detail(max.to_string()));
        }
        v.to_string()
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}
