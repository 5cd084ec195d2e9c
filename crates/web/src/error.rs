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
                eprintln!("erreur interne : {detail}");
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
                eprintln!("erreur interne (API) : {d}");
                (StatusCode::INTERNAL_SERVER_ERROR, "erreur interne".into())
            }
        };
        (status, axum::Json(serde_json::json!({ "error": msg }))).into_response()
    }
}
