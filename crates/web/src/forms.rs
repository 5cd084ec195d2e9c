//! The generic one-form page (login, password reset, a person's code…), and the helpers that
//! turn handler results into responses.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use dklik_domain::FieldError;

/// One field of a [`FormPage`].
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub hint: &'static str,
    pub error: Option<String>,
    pub autocomplete: &'static str,
    pub options: Vec<(String, String)>,
}

impl Field {
    pub fn new(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            hint: "",
            error: None,
            autocomplete,
            options: Vec::new(),
        }
    }
    pub fn value(mut self, v: &str) -> Self {
        self.value = v.chars().take(300).collect();
        self
    }
    pub fn hint(mut self, h: &'static str) -> Self {
        self.hint = h;
        self
    }
}

#[derive(Template)]
#[template(path = "form_page.html")]
pub struct FormPage {
    pub title: &'static str,
    pub intro: Vec<String>,
    pub action: String,
    pub csrf: String,
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub links: Vec<(&'static str, &'static str)>,
    pub errors: Vec<FieldError>,
}

impl FormPage {
    /// Puts each error beside its field too.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        for f in &mut self.fields {
            f.error = errors
                .iter()
                .find(|e| e.field == f.name)
                .map(|e| e.message.clone());
        }
        self.errors = errors;
        self
    }
    pub fn respond(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => crate::error::AppError::Internal(e.to_string()).into_response(),
        }
    }
}

/// A JSON file to download.
pub fn json_download(name: &str, v: &serde_json::Value) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        serde_json::to_string_pretty(v).unwrap_or_default(),
    )
        .into_response()
}

/// A local path to go back to after login; anything else (another site) becomes "".
/// A page of this site to go to after signing in, or nothing. Browsers drop tabs and line
/// breaks from a URL and read a backslash as a slash (the URL standard's clean-up), so `/\t/evil.test`
/// would lead to another site: any control character, space or backslash refuses the path.
pub fn safe_next(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\');
    if plain && s.starts_with('/') && !s.starts_with("//") && s.len() < 500 {
        s.to_string()
    } else {
        String::new()
    }
}

/// 200 for a page shown, 422 when it comes back with the form's errors.
pub fn status_of(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
