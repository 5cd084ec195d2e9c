//! The text-message providers' delivery receipts: `POST /sms/accuses/brevo` (JSON) and
//! `POST /sms/accuses/twilio` (a form), each with the shared secret in `cle` (the address given
//! to the provider, `serve --sms-receipts-secret`). A receipt moves its message to delivered or
//! failed once; one posted again changes nothing.

use crate::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dklik_app::sms_store::ReceiptOutcome;

#[derive(serde::Deserialize, Default)]
pub struct Key {
    #[serde(default)]
    cle: String,
}

fn answer(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "message": text }))).into_response()
}

pub async fn receipt(
    State(st): State<SharedState>,
    Path(provider): Path<String>,
    Query(k): Query<Key>,
    body: Bytes,
) -> Response {
    let Some(secret) = st.sms_receipts_secret.as_deref() else {
        return answer(
            StatusCode::NOT_FOUND,
            "Aucun accusé de réception n'est attendu.",
        );
    };
    if !dklik_app::auth::same(&k.cle, secret) {
        return answer(StatusCode::FORBIDDEN, "Clé absente ou fausse.");
    }
    let read = match provider.as_str() {
        "brevo" => dklik_app::sms::brevo_receipt(&body),
        "twilio" => dklik_app::sms::twilio_receipt(
            &form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>(),
        ),
        _ => return answer(StatusCode::NOT_FOUND, "Fournisseur inconnu."),
    };
    let Some(r) = read else {
        return answer(
            StatusCode::BAD_REQUEST,
            "Accusé illisible : la référence du message ou son état manque.",
        );
    };
    let Some(delivered) = r.delivered else {
        return answer(StatusCode::OK, "État intermédiaire : rien à changer.");
    };
    let key = format!("{}:{}", r.reference, r.status);
    match st
        .store
        .sms_receipt(
            &provider,
            &r.reference,
            &key,
            delivered,
            dklik_app::unix_now(),
        )
        .await
    {
        Ok(ReceiptOutcome::Applied) => answer(StatusCode::OK, "Pris en compte."),
        Ok(ReceiptOutcome::Replayed) => answer(StatusCode::OK, "Déjà pris en compte."),
        // Answered 200 all the same: the provider would otherwise post it again and again.
        Ok(ReceiptOutcome::Unknown) => answer(StatusCode::OK, "Message inconnu : ignoré."),
        Err(e) => {
            tracing::warn!(error = %e, "accusé de réception de SMS non enregistré");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "Enregistrement impossible pour le moment : renvoyez plus tard.",
            )
        }
    }
}

/// This module's routes.
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::Who;
    use crate::routes::post;
    vec![post("/sms/accuses/{provider}", Who::Anyone, receipt)]
}
