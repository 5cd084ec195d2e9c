//! Signing in and out, password reset, a person's own space, the privacy page.

use crate::access::{session_cookie, Identity};
use crate::client::ClientAddr;
use crate::error::AppError;
use crate::forms::{json_download, safe_next, Field, FormPage};
use crate::pages::message_page;
use crate::SharedState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_app::auth::{self, AuthError};
use dklik_domain::PersonId;
use dklik_domain::{FieldError, Role};

/// Where each role lands after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin",
        Role::Advisor | Role::MobileTeam => "/conseil/demandes",
        Role::Employer => "/entreprise",
        Role::Person => "/mon-espace/donnees",
        Role::Screen | Role::Feed => "/",
    }
}

fn secure(st: &SharedState) -> bool {
    st.base_url.starts_with("https://")
}

fn with_cookie(cookie: String, to: &str) -> Response {
    ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

fn internal(e: AuthError) -> AppError {
    e.into()
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    suite: String,
}

fn login_form(email: &str, next: &str) -> FormPage {
    FormPage {
        title: "Se connecter",
        intro: vec!["Pour les conseillers, l'équipe mobile et les entreprises.".into()],
        action: "/connexion".into(),
        csrf: String::new(),
        hidden: vec![("suite", safe_next(next))],
        fields: vec![
            Field::new("email", "Adresse e-mail", "email", "username").value(email),
            Field::new(
                "mot_de_passe",
                "Mot de passe",
                "password",
                "current-password",
            ),
        ],
        submit: "Se connecter",
        links: vec![
            ("/connexion/oubli", "Mot de passe oublié"),
            (
                "/mon-espace",
                "Vous cherchez un emploi ? Ouvrez votre espace",
            ),
        ],
        errors: Vec::new(),
    }
}

pub async fn login_page(
    Extension(id): Extension<Identity>,
    Query(q): Query<NextQuery>,
) -> Response {
    if let Some(r) = id.role() {
        return Redirect::to(home_of(r)).into_response();
    }
    login_form("", &q.suite).respond(StatusCode::OK)
}

#[derive(serde::Deserialize, Default)]
pub struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    suite: String,
}

pub async fn login(
    State(st): State<SharedState>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<LoginFields>,
) -> Result<Response, AppError> {
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    match auth::login(
        st.store.as_ref(),
        &f.email,
        &f.mot_de_passe,
        &crate::client::limit_key(ip).to_string(),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok((user, session)) => {
            let next = safe_next(&f.suite);
            let to = if next.is_empty() {
                home_of(user.role).to_string()
            } else {
                next
            };
            Ok(with_cookie(
                session_cookie(&session.token, secure(&st)),
                &to,
            ))
        }
        Err(e @ (AuthError::BadCredentials | AuthError::Locked)) => {
            Ok(login_form(&f.email, &f.suite)
                .with_errors(vec![FieldError::new("email", e.to_string())])
                .respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(internal(e)),
    }
}

pub async fn logout_page(Extension(id): Extension<Identity>) -> Response {
    FormPage {
        title: "Se déconnecter",
        intro: vec!["Vous allez fermer votre session sur cet appareil.".into()],
        action: "/deconnexion".into(),
        csrf: id.csrf().to_string(),
        hidden: vec![],
        fields: vec![],
        submit: "Se déconnecter",
        links: vec![],
        errors: vec![],
    }
    .respond(StatusCode::OK)
}

pub async fn logout(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    if let Identity::User { token, .. } | Identity::Person { token, .. } = &id {
        auth::logout(st.store.as_ref(), token)
            .await
            .map_err(internal)?;
    }
    Ok(with_cookie(session_cookie("", secure(&st)), "/"))
}

fn forgot_form(email: &str) -> FormPage {
    FormPage {
        title: "Mot de passe oublié",
        intro: vec!["Écrivez l'adresse e-mail de votre compte. Vous recevrez un lien pour choisir un nouveau mot de passe.".into()],
        action: "/connexion/oubli".into(),
        csrf: String::new(),
        hidden: vec![],
        fields: vec![Field::new("email", "Adresse e-mail", "email", "username").value(email)],
        submit: "Recevoir le lien",
        links: vec![("/connexion", "Revenir à la connexion")],
        errors: vec![],
    }
}

pub async fn forgot_page() -> Response {
    forgot_form("").respond(StatusCode::OK)
}

#[derive(serde::Deserialize, Default)]
pub struct EmailField {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    State(st): State<SharedState>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<EmailField>,
) -> Result<Response, AppError> {
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    if dklik_domain::interest::normalize_email(&f.email).is_err() {
        return Ok(forgot_form(&f.email)
            .with_errors(vec![FieldError::new(
                "email",
                "Cette adresse e-mail n'est pas valide. Exemple : prenom@exemple.fr",
            )])
            .respond(StatusCode::UNPROCESSABLE_ENTITY));
    }
    auth::request_password_reset(
        st.store.as_ref(),
        &f.email,
        &st.base_url,
        dklik_app::unix_now(),
    )
    .await
    .map_err(internal)?;
    Ok(message_page(
        StatusCode::OK,
        "Regardez vos e-mails",
        &[
            "Si un compte existe pour cette adresse, un e-mail vient de partir.",
            "Le lien marche pendant 1 heure, une seule fois.",
        ],
        false,
        "",
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    jeton: String,
}

fn reset_form(token: &str) -> FormPage {
    FormPage {
        title: "Choisir un nouveau mot de passe",
        intro: vec!["Choisissez un mot de passe d'au moins 12 caractères. Une phrase facile à retenir convient bien.".into()],
        action: "/connexion/nouveau-mot-de-passe".into(),
        csrf: String::new(),
        hidden: vec![("jeton", token.chars().take(100).collect())],
        fields: vec![
            Field::new("mot_de_passe", "Nouveau mot de passe", "password", "new-password"),
            Field::new("confirmation", "Le même mot de passe, encore une fois", "password", "new-password"),
        ],
        submit: "Enregistrer le mot de passe",
        links: vec![],
        errors: vec![],
    }
}

pub async fn reset_page(Query(q): Query<TokenQuery>) -> Response {
    reset_form(&q.jeton).respond(StatusCode::OK)
}

#[derive(serde::Deserialize, Default)]
pub struct ResetFields {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    confirmation: String,
}

fn invalid_link_page() -> Response {
    message_page(
        StatusCode::GONE,
        "Ce lien n'est plus valable",
        &[
            "Le lien a expiré ou a déjà servi.",
            "Demandez un nouveau lien depuis la page « Mot de passe oublié ».",
        ],
        false,
        "",
    )
}

pub async fn reset(
    State(st): State<SharedState>,
    Form(f): Form<ResetFields>,
) -> Result<Response, AppError> {
    if f.mot_de_passe != f.confirmation {
        return Ok(reset_form(&f.jeton)
            .with_errors(vec![FieldError::new(
                "confirmation",
                "Les deux mots de passe ne sont pas les mêmes.",
            )])
            .respond(StatusCode::UNPROCESSABLE_ENTITY));
    }
    match auth::complete_password_reset(
        st.store.as_ref(),
        &f.jeton,
        &f.mot_de_passe,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(_) => Ok(message_page(
            StatusCode::OK,
            "Mot de passe changé",
            &[
                "Votre nouveau mot de passe est enregistré. Vos autres sessions sont fermées.",
                "Vous pouvez vous connecter.",
            ],
            false,
            "",
        )),
        Err(AuthError::Invalid(m)) => Ok(reset_form(&f.jeton)
            .with_errors(vec![FieldError::new("mot_de_passe", m)])
            .respond(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(AuthError::InvalidLink) => Ok(invalid_link_page()),
        Err(e) => Err(internal(e)),
    }
}

// --- A person's own space -------------------------------------------------------------------

fn person_contact_form(contact: &str) -> FormPage {
    FormPage {
        title: "Mon espace",
        intro: vec![
            "Vous avez laissé votre numéro de portable ou votre adresse e-mail pour être rappelé ?".into(),
            "Écrivez-le ici. Vous recevrez un code à 6 chiffres, par SMS ou par e-mail, pour voir vos données.".into(),
        ],
        action: "/mon-espace".into(),
        csrf: String::new(),
        hidden: vec![],
        fields: vec![Field::new(
            "contact",
            "Votre numéro de portable ou votre adresse e-mail",
            "text",
            "username",
        )
        .hint("Par exemple 06 12 34 56 78 ou prenom@exemple.fr")
        .value(contact)],
        submit: "Recevoir mon code",
        links: vec![("/confidentialite", "Ce que nous faisons de vos données")],
        errors: vec![],
    }
}

fn person_code_form(contact: &str) -> FormPage {
    let by_mobile = !contact.contains('@');
    FormPage {
        title: "Votre code",
        intro: vec![
            if by_mobile {
                "Si votre numéro est connu, un SMS vient de partir avec un code à 6 chiffres."
            } else {
                "Si votre adresse est connue, un e-mail vient de partir avec un code à 6 chiffres."
            }
            .into(),
            "Le code marche 15 minutes.".into(),
        ],
        action: "/mon-espace/code".into(),
        csrf: String::new(),
        hidden: vec![("contact", contact.chars().take(254).collect())],
        fields: vec![Field::new(
            "code",
            if by_mobile {
                "Le code reçu par SMS"
            } else {
                "Le code reçu par e-mail"
            },
            "text",
            "one-time-code",
        )
        .hint("6 chiffres, par exemple 042917")],
        submit: "Ouvrir mon espace",
        links: vec![("/mon-espace", "Recommencer")],
        errors: vec![],
    }
}

pub async fn person_page(Extension(id): Extension<Identity>) -> Response {
    if let Identity::Person { .. } = id {
        return Redirect::to("/mon-espace/donnees").into_response();
    }
    person_contact_form("").respond(StatusCode::OK)
}

/// What the "Mon espace" form sends: a mobile or an e-mail (`email`, its former name, is
/// still read).
#[derive(serde::Deserialize, Default)]
pub struct ContactField {
    #[serde(default, alias = "email")]
    contact: String,
}

pub async fn person_request_code(
    State(st): State<SharedState>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<ContactField>,
) -> Result<Response, AppError> {
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    match auth::request_person_code(
        st.store.as_ref(),
        &st.key,
        st.sms.as_ref(),
        &f.contact,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(person_code_form(&f.contact).respond(StatusCode::OK)),
        Err(AuthError::Invalid(m)) => Ok(person_contact_form(&f.contact)
            .with_errors(vec![FieldError::new("contact", m)])
            .respond(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(e) => Err(internal(e)),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CodeFields {
    #[serde(default, alias = "email")]
    contact: String,
    #[serde(default)]
    code: String,
}

pub async fn person_login(
    State(st): State<SharedState>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<CodeFields>,
) -> Result<Response, AppError> {
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    match auth::person_login(
        st.store.as_ref(),
        &st.key,
        &f.contact,
        &f.code,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok((_, session)) => Ok(with_cookie(
            session_cookie(&session.token, secure(&st)),
            "/mon-espace/donnees",
        )),
        Err(AuthError::InvalidLink) => Ok(person_code_form(&f.contact)
            .with_errors(vec![FieldError::new(
                "code",
                "Ce code ne marche pas : il est faux, a expiré ou a déjà servi.",
            )])
            .respond(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Template)]
#[template(path = "table_page.html")]
pub struct TablePage {
    pub title: String,
    pub intro: Vec<String>,
    pub links: Vec<(String, String)>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub empty: &'static str,
    /// (action, button, confirmation sentence or "", dangerous)
    pub forms: Vec<(String, &'static str, &'static str, bool)>,
    pub csrf: String,
}

impl TablePage {
    pub fn respond(self) -> Result<Response, AppError> {
        Ok(Html(self.render()?).into_response())
    }
}

pub fn format_time(ts: i64) -> String {
    let fmt = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(fmt).ok())
        .map(|s| format!("{s} UTC"))
        .unwrap_or_default()
}

fn person_id(id: &Identity) -> Result<PersonId, AppError> {
    match id {
        Identity::Person { id, .. } => Ok(*id),
        _ => Err(AppError::NotFound),
    }
}

/// A notice after a change (`?ok=messages`).
#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    ok: String,
}

pub async fn person_data(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    let now = dklik_app::unix_now();
    let person = st.store.person(pid).await?.ok_or(AppError::NotFound)?;
    dklik_app::privacy::audit_read(
        st.store.as_ref(),
        None,
        "la personne elle-même",
        &format!("person:{pid}"),
        "mon espace",
        now,
    )
    .await?;
    let interests = st.store.person_interests(pid).await?;
    let mut rows = vec![
        vec![
            "Prénom".to_string(),
            person.first_name.clone().unwrap_or_default(),
        ],
        vec!["Téléphone".into(), person.phone.clone().unwrap_or_default()],
        vec!["E-mail".into(), person.email.clone().unwrap_or_default()],
        vec![
            "Messages de DKLIK".into(),
            match person.contact_by.as_deref() {
                Some("sms") => "par SMS",
                Some("email") => "par e-mail",
                _ => "par SMS et e-mail (ce qui est connu)",
            }
            .into(),
        ],
        vec![
            "Nouvelles offres par SMS".into(),
            if st.store.wants_sms_news(pid).await? {
                "oui"
            } else {
                "non"
            }
            .into(),
        ],
    ];
    for i in &interests {
        rows.push(vec![
            format!("Demande du {}", format_time(i.created_at)),
            format!("{} – {}", i.channel.label_fr(), i.status.label_fr()),
        ]);
    }
    TablePage {
        title: "Mes données".into(),
        intro: if done.ok == "messages" {
            vec![
                "Votre choix est enregistré.".into(),
                "Voici tout ce que DKLIK garde sur vous.".into(),
            ]
        } else {
            vec!["Voici tout ce que DKLIK garde sur vous.".into()]
        },
        links: vec![
            (
                "/mon-espace/export".into(),
                "Télécharger mes données (JSON)".into(),
            ),
            (
                "/mon-espace/adresse".into(),
                "Changer mon adresse e-mail".into(),
            ),
            (
                "/mon-espace/messages".into(),
                "Choisir comment DKLIK m'écrit (SMS ou e-mail)".into(),
            ),
            (
                "/mon-espace/propositions".into(),
                "Les postes qu'on me propose".into(),
            ),
            ("/confidentialite".into(), "Ce que nous en faisons".into()),
            ("/deconnexion".into(), "Se déconnecter".into()),
        ],
        headers: vec!["Information", "Valeur"],
        rows,
        empty: "",
        forms: vec![(
            "/mon-espace/effacer".into(),
            "Effacer mes données",
            "Je veux que DKLIK efface mes données. Un conseiller ne pourra plus me rappeler.",
            true,
        )],
        csrf: id.csrf().to_string(),
    }
    .respond()
}

/// The posts an advisor proposed to the person, each with why in plain words ("vous savez
/// déjà faire 7 des 9 choses demandées") and where it stands.
pub async fn person_proposals(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    let store = st.store.as_ref();
    let r = crate::skills::reference(&st).await?;
    let me = dklik_app::matching::person_view(store, &r, pid)
        .await?
        .ok_or(AppError::NotFound)?;
    dklik_app::privacy::audit_read(
        store,
        None,
        "la personne elle-même",
        &format!("person:{pid}"),
        "mes propositions",
        dklik_app::unix_now(),
    )
    .await?;
    let mut rows = Vec::new();
    for i in store.person_introductions(pid).await? {
        let why = match store.offer(i.offer_id).await? {
            Some(o) => dklik_domain::matching::score(&me.skills, &o.items, r.as_ref(), vec![])
                .plain_fr(true)
                .join(" "),
            None => String::new(),
        };
        rows.push(vec![
            i.offer_title.clone(),
            i.status.label_fr().to_string(),
            why,
        ]);
    }
    TablePage {
        title: "Les postes qu'on me propose".into(),
        intro: vec![
            "Votre conseiller vous propose ces postes.".into(),
            "Pour chacun : où on en est, et pourquoi ce poste.".into(),
        ],
        links: vec![
            ("/mon-espace/donnees".into(), "Mes données".into()),
            (
                "/mon-espace/messages".into(),
                "Choisir comment DKLIK m'écrit (SMS ou e-mail)".into(),
            ),
            ("/deconnexion".into(), "Se déconnecter".into()),
        ],
        headers: vec!["Poste", "Où on en est", "Pourquoi ce poste"],
        rows,
        empty: "Aucun poste ne vous est proposé pour l'instant.",
        forms: vec![],
        csrf: id.csrf().to_string(),
    }
    .respond()
}

pub async fn person_export(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    let v = dklik_app::privacy::export_person(
        st.store.as_ref(),
        pid,
        None,
        "la personne elle-même",
        dklik_app::unix_now(),
    )
    .await?;
    Ok(json_download("mes-donnees-dklik.json", &v))
}

#[derive(serde::Deserialize, Default)]
pub struct ConfirmField {
    #[serde(default)]
    confirmer: String,
}

pub async fn person_erase(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<ConfirmField>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    if f.confirmer != "oui" {
        return Ok(message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Rien n'a été effacé",
            &["Cochez la case pour confirmer, puis appuyez de nouveau sur « Effacer mes données »."],
            false,
            "",
        ));
    }
    dklik_app::privacy::erase_person(
        st.store.as_ref(),
        pid,
        None,
        "la personne elle-même",
        dklik_app::unix_now(),
    )
    .await?;
    Ok((
        [(header::SET_COOKIE, session_cookie("", secure(&st)))],
        message_page(
            StatusCode::OK,
            "Vos données sont effacées",
            &[
                "DKLIK ne garde plus votre nom ni vos coordonnées.",
                "Merci d'avoir utilisé DKLIK.",
            ],
            false,
            "",
        ),
    )
        .into_response())
}

fn new_email_form(csrf: &str, email: &str) -> FormPage {
    FormPage {
        title: "Changer mon adresse e-mail",
        intro: vec![
            "Écrivez votre nouvelle adresse. Nous y enverrons un code à 6 chiffres.".into(),
            "L'adresse change quand vous écrivez ce code. Votre ancienne adresse reçoit un message.".into(),
        ],
        action: "/mon-espace/adresse".into(),
        csrf: csrf.to_string(),
        hidden: vec![],
        fields: vec![
            Field::new("email", "Nouvelle adresse e-mail", "email", "email").value(email),
        ],
        submit: "Recevoir le code",
        links: vec![("/mon-espace/donnees", "Revenir à mes données")],
        errors: vec![],
    }
}

fn new_email_code_form(csrf: &str) -> FormPage {
    FormPage {
        title: "Confirmer ma nouvelle adresse",
        intro: vec![
            "Un code à 6 chiffres vient de partir vers votre nouvelle adresse.".into(),
            "Il marche 15 minutes.".into(),
        ],
        action: "/mon-espace/adresse/code".into(),
        csrf: csrf.to_string(),
        hidden: vec![],
        fields: vec![Field::new(
            "code",
            "Le code reçu à la nouvelle adresse",
            "text",
            "one-time-code",
        )
        .hint("6 chiffres, par exemple 042917")],
        submit: "Changer mon adresse",
        links: vec![("/mon-espace/adresse", "Recommencer")],
        errors: vec![],
    }
}

pub async fn new_email_page(Extension(id): Extension<Identity>) -> Result<Response, AppError> {
    person_id(&id)?;
    Ok(new_email_form(id.csrf(), "").respond(StatusCode::OK))
}

/// A person asks to change their e-mail: a code goes to the new address.
pub async fn new_email_request(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<EmailField>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    match auth::request_email_change(
        st.store.as_ref(),
        &st.key,
        pid,
        &f.email,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(new_email_code_form(id.csrf()).respond(StatusCode::OK)),
        Err(AuthError::Invalid(m)) => Ok(new_email_form(id.csrf(), &f.email)
            .with_errors(vec![FieldError::new("email", m)])
            .respond(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(AuthError::InvalidLink) => Err(AppError::NotFound),
        Err(e) => Err(internal(e)),
    }
}

/// The code from the new address: the address changes and every session of the person ends
/// (this one too), so the space opens again only with the new address.
pub async fn new_email_confirm(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    ClientAddr(ip): ClientAddr,
    Form(f): Form<CodeFields>,
) -> Result<Response, AppError> {
    let pid = person_id(&id)?;
    if !st.login_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    let now = dklik_app::unix_now();
    match auth::confirm_email_change(st.store.as_ref(), &st.key, pid, &f.code, now).await {
        Ok(_) => {
            st.store
                .add_audit(
                    None,
                    "la personne elle-même",
                    "update",
                    &format!("person:{pid}"),
                    "adresse e-mail changée (code envoyé à la nouvelle, message à l'ancienne)",
                    now,
                )
                .await?;
            Ok((
                [(header::SET_COOKIE, session_cookie("", secure(&st)))],
                message_page(
                    StatusCode::OK,
                    "Votre adresse a changé",
                    &[
                        "Votre espace s'ouvre maintenant avec la nouvelle adresse.",
                        "Pour votre sécurité, vos sessions sont fermées. Ouvrez de nouveau votre espace.",
                    ],
                    false,
                    "",
                ),
            )
                .into_response())
        }
        Err(AuthError::InvalidLink) => Ok(new_email_code_form(id.csrf())
            .with_errors(vec![FieldError::new(
                "code",
                "Ce code ne marche pas : il est faux, a expiré ou a déjà servi.",
            )])
            .respond(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    months: u32,
    security_contact: String,
}

/// RFC 9116: where to report a vulnerability.
pub async fn security_txt(State(st): State<SharedState>) -> Response {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let body = format!(
        "Contact: mailto:{}\nExpires: {}\nPreferred-Languages: fr, en\nCanonical: {}/.well-known/security.txt\nPolicy: {}/confidentialite\n",
        st.security_contact,
        expires.format(fmt).unwrap_or_default(),
        st.base_url,
        st.base_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

pub async fn privacy(State(st): State<SharedState>) -> Result<Response, AppError> {
    Ok(Html(
        PrivacyPage {
            months: st.retention_months,
            security_contact: st.security_contact.clone(),
        }
        .render()?,
    )
    .into_response())
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, PERSON, SIGNED_IN};
    use crate::routes::{get, post};
    vec![
        get("/confidentialite", Who::Anyone, privacy),
        get("/.well-known/security.txt", Who::Anyone, security_txt),
        get("/connexion", Who::Anyone, login_page),
        post("/connexion", Who::Anyone, login),
        get("/connexion/oubli", Who::Anyone, forgot_page),
        post("/connexion/oubli", Who::Anyone, forgot),
        get("/connexion/nouveau-mot-de-passe", Who::Anyone, reset_page),
        post("/connexion/nouveau-mot-de-passe", Who::Anyone, reset),
        get("/deconnexion", Who::Roles(SIGNED_IN), logout_page),
        post("/deconnexion", Who::Roles(SIGNED_IN), logout),
        get("/mon-espace", Who::Anyone, person_page),
        post("/mon-espace", Who::Anyone, person_request_code),
        post("/mon-espace/code", Who::Anyone, person_login),
        get("/mon-espace/donnees", Who::Roles(PERSON), person_data),
        get("/mon-espace/export", Who::Roles(PERSON), person_export),
        get(
            "/mon-espace/propositions",
            Who::Roles(PERSON),
            person_proposals,
        ),
        post("/mon-espace/effacer", Who::Roles(PERSON), person_erase),
        get("/mon-espace/adresse", Who::Roles(PERSON), new_email_page),
        post("/mon-espace/adresse", Who::Roles(PERSON), new_email_request),
        post(
            "/mon-espace/adresse/code",
            Who::Roles(PERSON),
            new_email_confirm,
        ),
    ]
}
