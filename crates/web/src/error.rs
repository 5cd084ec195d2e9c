//! One error type for handlers, shown as a French page or JSON; internal details go to the log
//! only, never to the person.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    NotFound,
    TooManyRequests,
    Internal(String),
}

impl From<dklik_app::StoreError> for AppError {
    fn from(e: dklik_app::StoreError) -> Self {
        match e {
            dklik_app::StoreError::NotFound => Self::NotFound,
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
