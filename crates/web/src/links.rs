//! Pages reached from a link sent by e-mail, without signing in: an employer's contact
//! accepting an invitation (choosing a password), and the "toujours d'actualité ?" answers
//! about an offer. A link only shows a page; the change is made by the button it holds (a
//! POST), so that a mail client opening links ahead does not answer for the person.

use crate::access::session_cookie;
use crate::error::AppError;
use crate::forms::{Field, FormPage};
use crate::pages::message_page;
use crate::skills::FormData;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dklik_app::auth::AuthError;
use dklik_app::employer_store::CheckAnswer;
use dklik_app::offer_checks::CheckError;
use dklik_domain::FieldError;

fn dead_link(what: &str) -> Response {
    message_page(
        StatusCode::GONE,
        "Ce lien n'est plus valable",
        &[
            what,
            "Pour toute question, appelez votre conseiller ou connectez-vous à votre espace.",
        ],
        false,
        "",
    )
}

fn invitation_form(token: &str, employer: &str, email: &str) -> FormPage {
    FormPage {
        title: "Créer votre accès entreprise",
        intro: vec![
            format!("Votre accès publiera les offres de {employer}. Vous vous connecterez avec l'adresse {email}."),
            "Choisissez un mot de passe d'au moins 12 caractères. Une phrase facile à retenir convient bien.".into(),
        ],
        action: format!("/invitation/{token}"),
        csrf: String::new(),
        hidden: vec![],
        fields: vec![
            Field::new("mot_de_passe", "Mot de passe", "password", "new-password"),
            Field::new(
                "confirmation",
                "Le même mot de passe, encore une fois",
                "password",
                "new-password",
            ),
        ],
        submit: "Créer mon accès",
        links: vec![],
        errors: vec![],
    }
}

/// The invitation's page: who it is for, and the password form.
pub async fn invitation_page(
    State(st): State<SharedState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    let Some(inv) = dklik_app::invitations::live_invitation(st.store.as_ref(), &token, now).await?
    else {
        return Ok(dead_link(
            "L'invitation a expiré (7 jours) ou a déjà servi. Demandez-en une nouvelle à votre conseiller.",
        ));
    };
    let emp = st
        .store
        .employer(inv.employer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(invitation_form(&token, &emp.name, &inv.email).respond(StatusCode::OK))
}

/// Makes the account, signs it in and opens its space.
pub async fn accept_invitation(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let now = dklik_app::unix_now();
    let store = st.store.as_ref();
    let Some(inv) = dklik_app::invitations::live_invitation(store, &token, now).await? else {
        return Ok(dead_link(
            "L'invitation a expiré (7 jours) ou a déjà servi. Demandez-en une nouvelle à votre conseiller.",
        ));
    };
    match dklik_app::invitations::accept(
        store,
        &token,
        &d.get("mot_de_passe"),
        &d.get("confirmation"),
        now,
    )
    .await
    {
        Ok((_, session)) => Ok((
            [(
                header::SET_COOKIE,
                session_cookie(&session.token, st.base_url.starts_with("https://")),
            )],
            Redirect::to("/entreprise?ok=bienvenue"),
        )
            .into_response()),
        Err(AuthError::InvalidLink) => Ok(dead_link(
            "L'invitation a expiré (7 jours) ou a déjà servi. Demandez-en une nouvelle à votre conseiller.",
        )),
        Err(AuthError::Invalid(m)) => {
            let emp = store
                .employer(inv.employer_id)
                .await?
                .map(|e| e.name)
                .unwrap_or_default();
            let field = if m.contains("deux mots de passe") {
                "confirmation"
            } else {
                "mot_de_passe"
            };
            Ok(invitation_form(&token, &emp, &inv.email)
                .with_errors(vec![FieldError::new(field, m)])
                .respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "offer_check.html")]
struct CheckPage {
    token: String,
    title: String,
    code: String,
    place: String,
    /// "oui" or "non": which question the link asked.
    still_open: bool,
    errors: Vec<FieldError>,
}

#[derive(serde::Deserialize, Default)]
pub struct CheckQuery {
    #[serde(default)]
    reponse: String,
}

const CHECK_DEAD: &str = "Le lien a déjà servi, ou ses 14 jours sont passés.";

/// The question's page: the offer, and the button(s) that answer.
pub async fn check_page(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    let Some((_, o)) = dklik_app::offer_checks::live(st.store.as_ref(), &token, now).await? else {
        return Ok(dead_link(CHECK_DEAD));
    };
    let page = CheckPage {
        token,
        title: o.title,
        code: o.code.to_string(),
        place: format!("{}, {}", o.employer_name, o.site.commune),
        still_open: q.reponse != "non",
        errors: vec![],
    };
    Ok(Html(page.render()?).into_response())
}

/// Answers the question: still open, filled, or cancelled.
pub async fn answer_check(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let answer = match d.get("reponse").as_str() {
        "oui" => CheckAnswer::Confirmed,
        "pourvue" => CheckAnswer::Filled,
        "annulee" => CheckAnswer::Closed,
        _ => {
            return Ok(message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Réponse inconnue",
                &["Revenez au lien reçu par e-mail et choisissez un des boutons."],
                false,
                "",
            ))
        }
    };
    match dklik_app::offer_checks::answer(st.store.as_ref(), &token, answer, dklik_app::unix_now())
        .await
    {
        Ok(o) => {
            st.pages.clear();
            let said = match answer {
                CheckAnswer::Confirmed => format!(
                    "Merci : « {} » reste publiée. Nous vous reposerons la question dans 14 jours.",
                    o.title
                ),
                CheckAnswer::Filled => format!(
                    "Merci, et bravo : « {} » est fermée comme pourvue. Elle quitte le site et les écrans des bus dans la minute.",
                    o.title
                ),
                _ => format!(
                    "« {} » est fermée. Elle quitte le site et les écrans des bus dans la minute.",
                    o.title
                ),
            };
            Ok(message_page(
                StatusCode::OK,
                "Réponse enregistrée",
                &[&said],
                false,
                "",
            ))
        }
        Err(CheckError::InvalidLink) => Ok(dead_link(CHECK_DEAD)),
        Err(CheckError::NotNow(m)) => Ok(message_page(
            StatusCode::CONFLICT,
            "L'offre a changé entre-temps",
            &[&m],
            false,
            "",
        )),
        Err(CheckError::Store(e)) => Err(e.into()),
    }
}

pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::Who;
    use crate::routes::{get, post};
    vec![
        get("/invitation/{token}", Who::Anyone, invitation_page),
        post("/invitation/{token}", Who::Anyone, accept_invitation),
        get("/offres/suivi/{token}", Who::Anyone, check_page),
        post("/offres/suivi/{token}", Who::Anyone, answer_check),
    ]
}
