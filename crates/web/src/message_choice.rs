//! How a person wants the programme's messages (SMS, e-mail or both) and whether they want
//! information texts (new offers near them): chosen by the person in "Mon espace"
//! (`/mon-espace/messages`) or recorded by an advisor on the person's record
//! (`/conseil/personnes/{id}/messages`). One form, one rule (`dklik_app::privacy::
//! set_message_choice`).

use crate::access::Identity;
use crate::error::AppError;
use crate::forms::{Field, FormPage};
use crate::SharedState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use dklik_app::privacy::ChoiceError;
use dklik_domain::privacy::{PersonId, SMS_NEWS_CONSENT_TEXT};
use dklik_domain::FieldError;

/// What the form sends.
#[derive(serde::Deserialize, Default)]
pub struct ChoiceFields {
    #[serde(default)]
    par: String,
    #[serde(default)]
    sms_infos: String,
}

/// Whose choice it is, where the form posts and where it goes back.
struct Whose {
    person: PersonId,
    action: String,
    /// Where a saved choice leads.
    back: String,
    /// The form's way back: (address, words).
    link: (&'static str, &'static str),
    by_advisor: bool,
}

fn whose(id: &Identity, path_id: Option<&str>) -> Result<Whose, AppError> {
    match (id, path_id) {
        (Identity::Person { id, .. }, None) => Ok(Whose {
            person: *id,
            action: "/mon-espace/messages".into(),
            back: "/mon-espace/donnees".into(),
            link: ("/mon-espace/donnees", "Revenir à mes données"),
            by_advisor: false,
        }),
        (Identity::User { .. }, Some(p)) => {
            let n: i64 = p.parse().map_err(|_| AppError::NotFound)?;
            Ok(Whose {
                person: PersonId(n),
                action: format!("/conseil/personnes/{n}/messages"),
                back: format!("/conseil/personnes/{n}"),
                link: ("/conseil/personnes", "Revenir aux personnes suivies"),
                by_advisor: true,
            })
        }
        _ => Err(AppError::NotFound),
    }
}

async fn form(
    st: &SharedState,
    id: &Identity,
    w: &Whose,
    chosen: Option<(&str, bool)>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let p = st
        .store
        .person(w.person)
        .await?
        .filter(|p| p.anonymised_at.is_none())
        .ok_or(AppError::NotFound)?;
    let (par, news) = match chosen {
        Some((par, news)) => (par.to_string(), news),
        None => (
            p.contact_by.clone().unwrap_or_default(),
            st.store.wants_sms_news(w.person).await?,
        ),
    };
    let known = format!(
        "Portable : {}. E-mail : {}.",
        p.phone.as_deref().unwrap_or("aucun"),
        p.email.as_deref().unwrap_or("aucun")
    );
    let intro = if w.by_advisor {
        vec![
            "Notez le choix de la personne, après le lui avoir lu.".into(),
            known,
        ]
    } else {
        vec![
            "Choisissez comment DKLIK vous écrit : codes, rappels de séances, réponses à vos demandes.".into(),
            known,
        ]
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut by = Field::new("par", "Recevoir les messages par", "select", "off").value(&par);
    by.options = vec![
        ("".into(), "SMS et e-mail (ce qui est connu)".into()),
        ("sms".into(), "SMS".into()),
        ("email".into(), "E-mail".into()),
    ];
    let mut infos = Field::new(
        "sms_infos",
        "Nouvelles offres près de chez moi par SMS",
        "select",
        "off",
    )
    .hint(SMS_NEWS_CONSENT_TEXT)
    .value(if news { "oui" } else { "non" });
    infos.options = vec![
        ("non".into(), "Non".into()),
        ("oui".into(), "Oui, je veux les recevoir".into()),
    ];
    Ok(FormPage {
        title: "Mes messages",
        intro,
        action: w.action.clone(),
        csrf: id.csrf().to_string(),
        hidden: vec![],
        fields: vec![by, infos],
        submit: "Enregistrer",
        links: vec![w.link],
        errors: vec![],
    }
    .with_errors(errors)
    .respond(status))
}

async fn show(
    st: SharedState,
    id: Identity,
    path_id: Option<String>,
) -> Result<Response, AppError> {
    let w = whose(&id, path_id.as_deref())?;
    form(&st, &id, &w, None, vec![]).await
}

async fn save(
    st: SharedState,
    id: Identity,
    path_id: Option<String>,
    f: ChoiceFields,
) -> Result<Response, AppError> {
    let w = whose(&id, path_id.as_deref())?;
    let news = f.sms_infos == "oui";
    let (user, actor) = match id.user() {
        Some(u) => (Some(u.id), u.display_name.clone()),
        None => (None, "la personne elle-même".to_string()),
    };
    match dklik_app::privacy::set_message_choice(
        st.store.as_ref(),
        w.person,
        &f.par,
        news,
        user,
        &actor,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{}?ok=messages", w.back)).into_response()),
        Err(ChoiceError::Invalid(m)) => {
            let par: String = f.par.chars().take(10).collect();
            form(
                &st,
                &id,
                &w,
                Some((&par, news)),
                vec![FieldError::new("par", m)],
            )
            .await
        }
        Err(ChoiceError::Store(dklik_app::StoreError::NotFound)) => Err(AppError::NotFound),
        Err(ChoiceError::Store(e)) => Err(e.into()),
    }
}

pub async fn mine(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    show(st, id, None).await
}

pub async fn save_mine(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<ChoiceFields>,
) -> Result<Response, AppError> {
    save(st, id, None, f).await
}

pub async fn of_person(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Path(p): Path<String>,
) -> Result<Response, AppError> {
    show(st, id, Some(p)).await
}

pub async fn save_of_person(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Path(p): Path<String>,
    Form(f): Form<ChoiceFields>,
) -> Result<Response, AppError> {
    save(st, id, Some(p), f).await
}

/// This module's routes.
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, PERSON, STAFF};
    use crate::routes::{get, post};
    vec![
        get("/mon-espace/messages", Who::Roles(PERSON), mine),
        post("/mon-espace/messages", Who::Roles(PERSON), save_mine),
        get(
            "/conseil/personnes/{id}/messages",
            Who::Roles(STAFF),
            of_person,
        ),
        post(
            "/conseil/personnes/{id}/messages",
            Who::Roles(STAFF),
            save_of_person,
        ),
    ]
}
