//! What the text-message providers post back, each with the shared secret in `cle` (the address
//! given to the provider, `serve --sms-receipts-secret`): delivery receipts
//! (`POST /sms/accuses/brevo` as JSON, `/sms/accuses/twilio` as a form), each moving its message
//! to delivered or failed once, and texts people send (`POST /sms/recus/…`): offer codes, OUI,
//! STOP and messages for the advisors.

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

/// The shared secret's check, the same for every post of a provider: none configured → 404
/// (`none`: what is not expected), wrong or missing → 403; `None` when the post may go on.
fn refusal(st: &SharedState, k: &Key, none: &str) -> Option<Response> {
    let Some(secret) = st.sms_receipts_secret.as_deref() else {
        return Some(answer(StatusCode::NOT_FOUND, none));
    };
    (!dklik_app::auth::same(&k.cle, secret))
        .then(|| answer(StatusCode::FORBIDDEN, "Clé absente ou fausse."))
}

pub async fn receipt(
    State(st): State<SharedState>,
    Path(provider): Path<String>,
    Query(k): Query<Key>,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&st, &k, "Aucun accusé de réception n'est attendu.") {
        return r;
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

/// A text a person sent to the programme's number, as the provider posts it: Twilio's form
/// (`From`, `Body`, `MessageSid`), or JSON (`from` or `sender`; `text`, `content` or `body`;
/// `messageId`, `id` or `uuid`). Returns the sender, the text and the provider's reference.
fn inbound(provider: &str, body: &[u8]) -> Option<(String, String, Option<String>)> {
    match provider {
        "twilio" => {
            let form: Vec<(String, String)> = form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            Some((
                get("From")?,
                get("Body").unwrap_or_default(),
                get("MessageSid").or_else(|| get("SmsSid")),
            ))
        }
        "brevo" => {
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            let pick = |keys: &[&str]| {
                keys.iter().find_map(|k| {
                    v.get(*k).and_then(|x| match x {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                })
            };
            Some((
                pick(&["from", "sender", "msisdn"])?,
                pick(&["text", "content", "body"]).unwrap_or_default(),
                pick(&["messageId", "id", "uuid"]),
            ))
        }
        _ => None,
    }
}

/// `POST /sms/recus/{provider}?cle=SECRET`: a text received (`dklik_app::sms_inbound`): an
/// offer code becomes a call-back request, OUI gives the agreement, STOP stops every text,
/// anything else reaches the advisors' inbox. Answered 200 whatever the text says (the
/// provider would post it again otherwise); 503 when it could not be recorded.
pub async fn received(
    State(st): State<SharedState>,
    Path(provider): Path<String>,
    Query(k): Query<Key>,
    body: Bytes,
) -> Response {
    use dklik_app::sms_inbound::{take_text, Received, Taken};
    if let Some(r) = refusal(&st, &k, "Aucun SMS reçu n'est attendu.") {
        return r;
    }
    if !matches!(provider.as_str(), "brevo" | "twilio") {
        return answer(StatusCode::NOT_FOUND, "Fournisseur inconnu.");
    }
    let Some((from, text, reference)) = inbound(&provider, &body) else {
        return answer(
            StatusCode::BAD_REQUEST,
            "SMS illisible : l'expéditeur manque.",
        );
    };
    let received = Received {
        provider: &provider,
        reference: reference.as_deref(),
        from: &from,
        text: &text,
    };
    match take_text(st.store.as_ref(), received, dklik_app::unix_now()).await {
        Ok(Taken::Stopped) => answer(
            StatusCode::OK,
            "STOP enregistré : plus aucun SMS vers ce numéro.",
        ),
        Ok(Taken::Agreed(n)) => answer(
            StatusCode::OK,
            &format!("Accord enregistré pour {n} demande(s)."),
        ),
        Ok(Taken::Requested { ids, fresh, .. }) => answer(
            StatusCode::OK,
            &if fresh {
                format!("Demande(s) de rappel enregistrée(s) : {}.", ids.len())
            } else {
                "Déjà pris en compte.".to_string()
            },
        ),
        Ok(Taken::Message { fresh, .. }) => answer(
            StatusCode::OK,
            if fresh {
                "Message transmis aux conseillers."
            } else {
                "Déjà pris en compte."
            },
        ),
        Ok(Taken::Ignored(why)) => answer(StatusCode::OK, &format!("Ignoré : {why}.")),
        Err(e) => {
            tracing::warn!(error = %e, "SMS reçu non enregistré");
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
    vec![
        post("/sms/accuses/{provider}", Who::Anyone, receipt),
        post("/sms/recus/{provider}", Who::Anyone, received),
    ]
}
