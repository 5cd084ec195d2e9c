//! Endorsements by a third party, through a link that works once (public pages).

use super::*;

#[derive(Template)]
#[template(path = "endorse.html")]
struct EndorsePage {
    errors: Vec<FieldError>,
    open: bool,
    message: String,
    token: String,
    first_name: String,
    skill: String,
    context: String,
    name: String,
    role: String,
    comment: String,
}

fn endorse_closed(message: &str, status: StatusCode) -> Result<Response, AppError> {
    let page = EndorsePage {
        errors: vec![],
        open: false,
        message: message.into(),
        token: String::new(),
        first_name: String::new(),
        skill: String::new(),
        context: String::new(),
        name: String::new(),
        role: String::new(),
        comment: String::new(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn endorse_page(
    st: &SharedState,
    token: &str,
    errors: Vec<FieldError>,
    d: Option<&FormData>,
) -> Result<Response, AppError> {
    use dklik_app::skills::LinkState;
    let state =
        dklik_app::skills::endorsement_state(st.store.as_ref(), token, dklik_app::unix_now())
            .await?;
    let e = match state {
        LinkState::Unknown => {
            return endorse_closed(
                "Ce lien n'existe pas. Vérifiez qu'il est complet.",
                StatusCode::NOT_FOUND,
            )
        }
        LinkState::Used => {
            return endorse_closed(
                "Ce lien a déjà servi : l'attestation est enregistrée. Merci !",
                StatusCode::GONE,
            )
        }
        LinkState::Expired => {
            return endorse_closed(
                "Ce lien a expiré. Demandez-en un nouveau au conseiller.",
                StatusCode::GONE,
            )
        }
        LinkState::Open(e) => e,
    };
    let r = reference(st).await?;
    let first_name = st
        .store
        .person(e.person_id)
        .await?
        .and_then(|p| p.first_name)
        .unwrap_or_else(|| "La personne".into());
    let status = crate::forms::status_of(&errors);
    let page = EndorsePage {
        errors,
        open: true,
        message: String::new(),
        token: token.into(),
        first_name,
        skill: r.label(e.item),
        context: e.context,
        name: d.map(|d| d.get("nom")).unwrap_or_default(),
        role: d.map(|d| d.get("role")).unwrap_or_default(),
        comment: d.map(|d| d.get("commentaire")).unwrap_or_default(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn valid_link_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn endorse_form(
    State(st): State<SharedState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !valid_link_token(&token) {
        return endorse_closed(
            "Ce lien n'existe pas. Vérifiez qu'il est complet.",
            StatusCode::NOT_FOUND,
        );
    }
    endorse_page(&st, &token, vec![], None).await
}

pub async fn endorse(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    if !st
        .public_writes
        .allow(crate::pages::client_ip(&parts.extensions))
    {
        return Err(AppError::TooManyRequests);
    }
    if !valid_link_token(&token) {
        return endorse_closed(
            "Ce lien n'existe pas. Vérifiez qu'il est complet.",
            StatusCode::NOT_FOUND,
        );
    }
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::endorse(
        st.store.as_ref(),
        &r,
        &token,
        &d.get("nom"),
        &d.get("role"),
        &d.get("commentaire"),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => endorse_closed(
            "Merci ! Votre attestation est enregistrée dans le dossier de la personne.",
            StatusCode::OK,
        ),
        Err(e) => {
            let errors = errors_of(e)?;
            if errors.iter().any(|e| e.field == "lien") {
                return endorse_closed(
                    "Ce lien n'est plus valable : il a déjà servi ou il a expiré.",
                    StatusCode::GONE,
                );
            }
            endorse_page(&st, &token, errors, Some(&d)).await
        }
    }
}
