//! One error type for handlers, shown as a French page or JSON; internal details go to the log
//! only, never to the person.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    NotFound,
    TooManyRequests,
    /// The database cannot be reached now: 503 with `Retry-After`, the page says so and a
    /// form's content is offered again (see [`keep_typed`]).
    Unavailable(String),
    Internal(String),
}

/// Seconds a client is told to wait before trying again during an outage.
pub const RETRY_AFTER_SECONDS: u32 = 10;

/// Marks a 503 answered because the database is unavailable ([`keep_typed`] adds the form).
#[derive(Debug, Clone, Copy)]
pub struct Outage;

fn unavailable_log(detail: &str) {
    tracing::warn!(
        "base de données indisponible : {}",
        dklik_domain::privacy::redact(detail)
    );
}

impl From<dklik_app::StoreError> for AppError {
    fn from(e: dklik_app::StoreError) -> Self {
        match e {
            dklik_app::StoreError::NotFound => Self::NotFound,
            dklik_app::StoreError::Unavailable(d) => Self::Unavailable(d),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<dklik_app::auth::AuthError> for AppError {
    fn from(e: dklik_app::auth::AuthError) -> Self {
        match e {
            dklik_app::auth::AuthError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => crate::pages::message_page(
                StatusCode::NOT_FOUND,
                "Page introuvable",
                &["Cette page n'existe pas ou plus."],
                false,
                "",
            ),
            Self::TooManyRequests => crate::pages::message_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de demandes",
                &[
                    "Vous avez envoyé beaucoup de demandes en peu de temps.",
                    "Attendez quelques minutes, puis réessayez.",
                ],
                false,
                "",
            ),
            Self::Unavailable(detail) => {
                unavailable_log(&detail);
                let mut res = crate::pages::message_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service momentanément indisponible",
                    &[
                        "DKLIK ne peut pas enregistrer ni afficher cela pour le moment.",
                        "Réessayez dans quelques instants.",
                    ],
                    false,
                    "",
                );
                res.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
                );
                res.extensions_mut().insert(Outage);
                res
            }
            Self::Internal(detail) => {
                tracing::error!(
                    "erreur interne : {}",
                    dklik_domain::privacy::redact(&detail)
                );
                crate::pages::message_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Un problème est survenu",
                    &[
                        "Nous n'avons pas pu afficher cette page.",
                        "Réessayez dans un moment.",
                    ],
                    false,
                    "",
                )
            }
        }
    }
}

/// The same errors, as JSON for the API.
pub struct ApiError(pub AppError);

impl From<dklik_app::StoreError> for ApiError {
    fn from(e: dklik_app::StoreError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, msg) = match self.0 {
            AppError::NotFound => (StatusCode::NOT_FOUND, "introuvable".to_string()),
            AppError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "trop de demandes".into()),
            AppError::Unavailable(d) => {
                unavailable_log(&d);
                let mut res = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({
                        "error": "service momentanément indisponible, réessayez dans quelques instants"
                    })),
                )
                    .into_response();
                res.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
                );
                return res;
            }
            AppError::Internal(d) => {
                tracing::error!(
                    "erreur interne (API) : {}",
                    dklik_domain::privacy::redact(&d)
                );
                (StatusCode::INTERNAL_SERVER_ERROR, "erreur interne".into())
            }
        };
        (status, axum::Json(serde_json::json!({ "error": msg }))).into_response()
    }
}

/// Marks a plain-text refusal a handler wrote itself, in French: [`french_rejections`] keeps it.
#[derive(Debug, Clone, Copy)]
pub struct OwnText;

/// The title and sentence said for a refusal the framework made (a body too large, a form
/// that does not parse, a wrong content type…).
fn french_for(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("Demande incomprise", "La demande envoyée n'est pas lisible. Revenez en arrière, puis réessayez."),
        401 => ("Connexion nécessaire", "Connectez-vous, puis réessayez."),
        403 => ("Accès refusé", "Cette adresse ne vous est pas ouverte."),
        404 => ("Page introuvable", "Cette page n'existe pas ou plus."),
        405 => ("Action impossible", "Cette adresse ne prend pas cette action."),
        408 => ("Temps dépassé", "L'envoi a pris trop de temps. Réessayez."),
        411 | 413 => ("Envoi trop gros", "Ce qui a été envoyé est trop gros pour cette adresse."),
        415 => ("Format non pris en charge", "L'envoi n'est pas dans un format que cette adresse lit (formulaire, JSON, XML ou protobuf selon l'adresse)."),
        422 => ("Formulaire illisible", "Le formulaire envoyé est incomplet ou a un champ en double. Revenez en arrière, puis réessayez."),
        429 => ("Trop de demandes", "Attendez quelques minutes, puis réessayez."),
        _ => ("Demande refusée", "La demande n'a pas pu être traitée."),
    }
}

/// Every refusal in the project's language and format: a refusal in plain text (the
/// framework's, in English) or without a body becomes the French page, or under `/api/` the
/// JSON error shape, as does an HTML page answered under `/api/`. The status and the headers
/// that matter (`Allow`, `Retry-After`) stay.
pub async fn french_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::header;
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !status.is_client_error() || res.extensions().get::<OwnText>().is_some() {
        return res;
    }
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let plain = ct.is_empty() || ct.starts_with("text/plain");
    if !(plain || (api && ct.starts_with("text/html"))) {
        return res;
    }
    let (title, sentence) = french_for(status);
    let mut out = if api {
        (status, axum::Json(serde_json::json!({ "error": sentence }))).into_response()
    } else {
        crate::pages::message_page(status, title, &[sentence], false, "")
    };
    for h in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    out
}

/// Fields never written back into a page: secrets typed by the person.
fn secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["mot_de_passe", "password", "code", "site_web"]
        .iter()
        .any(|s| n.contains(s))
}

#[derive(askama::Template)]
#[template(path = "unavailable.html")]
struct UnavailablePage {
    action: String,
    /// Every field posted (but secrets), sent again by the button.
    fields: Vec<(String, String)>,
    /// What the person typed, shown (hidden tokens left out).
    shown: Vec<(String, String)>,
}

/// The largest form body kept to be offered again during an outage.
const KEPT_FORM_BYTES: usize = 64 * 1024;

/// During a database outage a posted form is not lost: a form POST answered 503 because the
/// database is unavailable comes back as a page that shows what was typed and sends it again
/// with one button (secrets such as passwords and codes are never written back).
pub async fn keep_typed(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::{header, Method};
    let form = req.method() == Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let action = req.uri().to_string();
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, KEPT_FORM_BYTES).await {
        Ok(b) => b,
        Err(e) if crate::server::too_slow(&e) => {
            return crate::pages::message_page(
                StatusCode::REQUEST_TIMEOUT,
                "Temps dépassé",
                &["L'envoi a pris trop de temps. Réessayez."],
                false,
                "",
            );
        }
        Err(_) => {
            return crate::pages::message_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Envoi trop gros",
                &["Ce qui a été envoyé est trop gros pour cette adresse."],
                false,
                "",
            );
        }
    };
    let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
    let res = next.run(req).await;
    if res.status() != StatusCode::SERVICE_UNAVAILABLE || res.extensions().get::<Outage>().is_none()
    {
        return res;
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| !secret_field(k))
        .collect();
    let shown = fields
        .iter()
        .filter(|(k, v)| k != "csrf" && k != "imp" && k != "src" && !v.trim().is_empty())
        .cloned()
        .collect();
    let page = UnavailablePage {
        action,
        fields,
        shown,
    };
    let html = match askama::Template::render(&page) {
        Ok(h) => h,
        Err(_) => return res,
    };
    let mut out = (StatusCode::SERVICE_UNAVAILABLE, axum::response::Html(html)).into_response();
    for name in [header::RETRY_AFTER, header::CACHE_CONTROL] {
        if let Some(v) = res.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    out.extensions_mut().insert(Outage);
    out
}
