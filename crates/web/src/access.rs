//! Who may use which route: one declared table, enforced by one middleware.
//!
//! Every route of the router must stand in [`ACCESS`]; a route missing from it answers 404
//! (deny by default), and `tests/access.rs` walks every route with every role to check the
//! answers against the table.

use crate::error::AppError;
use crate::SharedState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use dklik_domain::{Role, User};
use std::sync::Arc;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Everybody, signed in or not.
    Anyone,
    /// Only these roles.
    Roles(&'static [Role]),
}

const STAFF: &[Role] = &[Role::Admin, Role::Advisor, Role::MobileTeam];
const ADVISORS: &[Role] = &[Role::Admin, Role::Advisor];
const ADMIN: &[Role] = &[Role::Admin];
const EMPLOYER: &[Role] = &[Role::Employer];
const PERSON: &[Role] = &[Role::Person];
const SIGNED_IN: &[Role] = &[
    Role::Admin,
    Role::Advisor,
    Role::MobileTeam,
    Role::Employer,
    Role::Person,
];
const DEVICES: &[Role] = &[Role::Screen, Role::Feed];
const FEED: &[Role] = &[Role::Feed];
const SCREEN: &[Role] = &[Role::Screen];

/// The access table: (method, route, who).
pub const ACCESS: &[(&str, &str, Who)] = &[
    ("GET", "/healthz", Who::Anyone),
    ("GET", "/", Who::Anyone),
    ("GET", "/offres", Who::Anyone),
    ("GET", "/offres/{code}", Who::Anyone),
    ("POST", "/offres/{code}/interet", Who::Anyone),
    ("GET", "/offres/{code}/merci", Who::Anyone),
    ("GET", "/o", Who::Anyone),
    ("GET", "/o/{code}", Who::Anyone),
    ("GET", "/static/dklik.css", Who::Anyone),
    ("GET", "/confidentialite", Who::Anyone),
    ("GET", "/.well-known/security.txt", Who::Anyone),
    ("GET", "/api/v1/openapi.json", Who::Anyone),
    ("GET", "/api/v1/offers", Who::Anyone),
    ("GET", "/api/v1/offers/{code}", Who::Anyone),
    ("GET", "/api/v1/employers", Who::Anyone),
    ("GET", "/api/v1/employers/{id}", Who::Anyone),
    ("GET", "/api/v1/whoami", Who::Roles(DEVICES)),
    ("GET", "/connexion", Who::Anyone),
    ("POST", "/connexion", Who::Anyone),
    ("GET", "/connexion/oubli", Who::Anyone),
    ("POST", "/connexion/oubli", Who::Anyone),
    ("GET", "/connexion/nouveau-mot-de-passe", Who::Anyone),
    ("POST", "/connexion/nouveau-mot-de-passe", Who::Anyone),
    ("GET", "/deconnexion", Who::Roles(SIGNED_IN)),
    ("POST", "/deconnexion", Who::Roles(SIGNED_IN)),
    ("GET", "/mon-espace", Who::Anyone),
    ("POST", "/mon-espace", Who::Anyone),
    ("POST", "/mon-espace/code", Who::Anyone),
    ("GET", "/mon-espace/donnees", Who::Roles(PERSON)),
    ("GET", "/mon-espace/export", Who::Roles(PERSON)),
    ("POST", "/mon-espace/effacer", Who::Roles(PERSON)),
    ("GET", "/mon-espace/adresse", Who::Roles(PERSON)),
    ("POST", "/mon-espace/adresse", Who::Roles(PERSON)),
    ("POST", "/mon-espace/adresse/code", Who::Roles(PERSON)),
    ("GET", "/conseil/doublons", Who::Roles(ADVISORS)),
    (
        "POST",
        "/conseil/personnes/{id}/fusion",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/conseil/demandes", Who::Roles(STAFF)),
    ("GET", "/conseil/demandes/{id}", Who::Roles(STAFF)),
    ("POST", "/conseil/demandes/{id}/etat", Who::Roles(STAFF)),
    (
        "POST",
        "/conseil/demandes/{id}/attribuer",
        Who::Roles(STAFF),
    ),
    (
        "GET",
        "/conseil/personnes/{id}/export",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/effacer",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/admin", Who::Roles(ADMIN)),
    ("GET", "/admin/journal", Who::Roles(ADMIN)),
    ("POST", "/admin/comptes", Who::Roles(ADMIN)),
    ("POST", "/admin/jetons", Who::Roles(ADMIN)),
    ("POST", "/admin/jetons/{id}/revoquer", Who::Roles(ADMIN)),
    ("GET", "/conseil/personnes", Who::Roles(STAFF)),
    ("GET", "/conseil/personnes/nouvelle", Who::Roles(STAFF)),
    ("POST", "/conseil/personnes/nouvelle", Who::Roles(STAFF)),
    ("GET", "/conseil/personnes/{id}", Who::Roles(STAFF)),
    ("GET", "/conseil/personnes/{id}/modifier", Who::Roles(STAFF)),
    (
        "POST",
        "/conseil/personnes/{id}/modifier",
        Who::Roles(STAFF),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/competences",
        Who::Roles(STAFF),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/competences/{eid}/supprimer",
        Who::Roles(STAFF),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/suggestions",
        Who::Roles(STAFF),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/attestations",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/activites",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/personnes/{id}/tests",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/conseil/personnes/{id}/emplois", Who::Roles(STAFF)),
    (
        "POST",
        "/conseil/personnes/{id}/mises-en-relation",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/mises-en-relation/{id}/etape",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/entreprise/mises-en-relation", Who::Roles(EMPLOYER)),
    (
        "GET",
        "/entreprise/mises-en-relation/{id}",
        Who::Roles(EMPLOYER),
    ),
    (
        "POST",
        "/entreprise/mises-en-relation/{id}/etape",
        Who::Roles(EMPLOYER),
    ),
    (
        "GET",
        "/conseil/offres/{code}/candidats",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/conseil/activites/{id}", Who::Roles(ADVISORS)),
    (
        "POST",
        "/conseil/activites/{id}/{what}",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/conseil/tests", Who::Roles(ADVISORS)),
    ("POST", "/conseil/tests", Who::Roles(ADVISORS)),
    ("POST", "/conseil/tests/{id}/sessions", Who::Roles(ADVISORS)),
    ("GET", "/conseil/sessions/{id}", Who::Roles(ADVISORS)),
    (
        "POST",
        "/conseil/sessions/{id}/{what}",
        Who::Roles(ADVISORS),
    ),
    (
        "GET",
        "/conseil/offres/{code}/competences",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/offres/{code}/competences",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/offres/{code}/competences/retirer",
        Who::Roles(ADVISORS),
    ),
    (
        "GET",
        "/entreprise/offres/{code}/competences",
        Who::Roles(EMPLOYER),
    ),
    (
        "POST",
        "/entreprise/offres/{code}/competences",
        Who::Roles(EMPLOYER),
    ),
    (
        "POST",
        "/entreprise/offres/{code}/competences/retirer",
        Who::Roles(EMPLOYER),
    ),
    ("GET", "/conseil/questionnaire", Who::Roles(STAFF)),
    ("GET", "/pilotage", Who::Roles(ADVISORS)),
    ("GET", "/pilotage/export/{file}", Who::Roles(ADVISORS)),
    ("POST", "/pilotage/export-personnes", Who::Roles(ADMIN)),
    ("GET", "/attester/{token}", Who::Anyone),
    ("POST", "/attester/{token}", Who::Anyone),
    ("GET", "/questionnaire", Who::Anyone),
    ("POST", "/questionnaire", Who::Anyone),
    ("GET", "/questionnaire/resultat/{token}", Who::Anyone),
    (
        "POST",
        "/questionnaire/resultat/{token}/envoyer",
        Who::Anyone,
    ),
    ("GET", "/static/print.css", Who::Anyone),
    ("GET", "/static/equipe.js", Who::Anyone),
    ("GET", "/orientaklik", Who::Anyone),
    ("GET", "/orientaklik/{id}", Who::Anyone),
    ("POST", "/orientaklik/{id}/inscription", Who::Anyone),
    ("GET", "/agenda", Who::Anyone),
    ("GET", "/agenda/{file}", Who::Anyone),
    ("GET", "/e/{code}", Who::Anyone),
    ("POST", "/e/{code}/inscription", Who::Anyone),
    ("GET", "/e/{code}/affiche", Who::Anyone),
    ("GET", "/conseil/orientaklik", Who::Roles(ADVISORS)),
    (
        "POST",
        "/conseil/orientaklik/services",
        Who::Roles(ADVISORS),
    ),
    ("POST", "/conseil/orientaklik/seances", Who::Roles(ADVISORS)),
    (
        "GET",
        "/conseil/orientaklik/seances/{id}",
        Who::Roles(ADVISORS),
    ),
    (
        "POST",
        "/conseil/orientaklik/seances/{id}/{what}",
        Who::Roles(ADVISORS),
    ),
    ("GET", "/conseil/orientaklik/bilan", Who::Roles(ADVISORS)),
    ("GET", "/conseil/agenda", Who::Roles(STAFF)),
    ("POST", "/conseil/agenda", Who::Roles(STAFF)),
    ("GET", "/equipe-mobile", Who::Roles(STAFF)),
    ("POST", "/equipe-mobile", Who::Roles(STAFF)),
    ("GET", "/admin/ecrans", Who::Roles(ADMIN)),
    ("POST", "/admin/ecrans/campagnes", Who::Roles(ADMIN)),
    ("POST", "/admin/ecrans/zones", Who::Roles(ADMIN)),
    ("POST", "/admin/ecrans/ecrans", Who::Roles(ADMIN)),
    ("POST", "/admin/ecrans/messages", Who::Roles(ADMIN)),
    (
        "POST",
        "/admin/ecrans/{kind}/{id}/supprimer",
        Who::Roles(ADMIN),
    ),
    ("POST", "/api/v1/impressions", Who::Roles(SCREEN)),
    ("GET", "/ecrans", Who::Anyone),
    ("GET", "/ecran/{vehicle}", Who::Anyone),
    ("GET", "/ecran/{vehicle}/flux", Who::Anyone),
    ("GET", "/s/{code}", Who::Anyone),
    ("GET", "/qr/{file}", Who::Anyone),
    ("GET", "/static/ecran.css", Who::Anyone),
    ("GET", "/static/ecran.js", Who::Anyone),
    ("POST", "/api/v1/positions", Who::Roles(FEED)),
    ("POST", "/api/v1/positions/gtfs-rt", Who::Roles(FEED)),
    ("POST", "/api/v1/positions/siri", Who::Roles(FEED)),
    ("GET", "/api/v1/positions/counters", Who::Roles(ADMIN)),
    ("GET", "/api/v1/stops/{stop}/offers", Who::Anyone),
    ("GET", "/entreprise/diffusion", Who::Roles(EMPLOYER)),
    ("GET", "/entreprise/diffusion.csv", Who::Roles(EMPLOYER)),
    ("GET", "/entreprise", Who::Roles(EMPLOYER)),
    ("GET", "/entreprise/offres/{code}", Who::Roles(EMPLOYER)),
];

pub fn lookup(method: &str, path: &str) -> Option<Who> {
    let method = if method == "HEAD" { "GET" } else { method };
    ACCESS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, w)| *w)
}

/// Who is calling, as resolved by [`guard`] and handed to handlers.
#[derive(Clone)]
pub enum Identity {
    Anonymous,
    /// A password account, with its session's CSRF token and cookie value.
    User {
        user: Arc<User>,
        csrf: String,
        token: String,
    },
    /// A person signed in with an emailed code.
    Person {
        id: i64,
        csrf: String,
        token: String,
    },
    /// A bearer API token.
    Device(Role),
}

impl Identity {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::User { user, .. } => Some(user.role),
            Self::Person { .. } => Some(Role::Person),
            Self::Device(r) => Some(*r),
        }
    }
    /// The CSRF token the pages of this session put in their forms ("" when anonymous).
    pub fn csrf(&self) -> &str {
        match self {
            Self::User { csrf, .. } | Self::Person { csrf, .. } => csrf,
            _ => "",
        }
    }
    pub fn user(&self) -> Option<&User> {
        match self {
            Self::User { user, .. } => Some(user),
            _ => None,
        }
    }
}

pub const SESSION_COOKIE: &str = "dklik_session";

pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The Set-Cookie value of a session (or of its removal when `token` is empty).
pub fn session_cookie(token: &str, secure: bool) -> String {
    let max_age = if token.is_empty() {
        0
    } else {
        dklik_app::auth::SESSION_SECONDS
    };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

async fn identify(st: &SharedState, headers: &HeaderMap) -> Result<Identity, AppError> {
    let now = dklik_app::unix_now();
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Ok(
            match dklik_app::auth::check_api_token(st.store.as_ref(), bearer.trim(), now)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
            {
                Some(role) => Identity::Device(role),
                None => Identity::Anonymous,
            },
        );
    }
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(Identity::Anonymous);
    };
    let rec = dklik_app::auth::session(st.store.as_ref(), token, now)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(match rec {
        Some(r) => match (r.user, r.person_id) {
            (Some(u), _) => Identity::User {
                user: Arc::new(u),
                csrf: r.csrf,
                token: token.to_string(),
            },
            (None, Some(id)) => Identity::Person {
                id,
                csrf: r.csrf,
                token: token.to_string(),
            },
            (None, None) => Identity::Anonymous,
        },
        None => Identity::Anonymous,
    })
}

/// A POST from another site is refused: the `Origin` must be ours when the browser sends it,
/// and `Sec-Fetch-Site` must not say cross-site.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return true;
    }
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    origin_host != host
}

use dklik_app::auth::same;

fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn forbidden_page(msg: &str) -> Response {
    crate::pages::message_page(StatusCode::FORBIDDEN, "Accès refusé", &[msg], false, "")
}

/// The guard: resolves the caller, checks the table, and protects forms against CSRF.
pub async fn guard(State(st): State<SharedState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
    else {
        return AppError::NotFound.into_response();
    };
    let Some(who) = lookup(method.as_str(), &path) else {
        return method_not_allowed(method.as_str(), &path);
    };
    let identity = match identify(&st, req.headers()).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if let Who::Roles(roles) = who {
        match identity.role() {
            Some(r) if roles.contains(&r) => {}
            None if path.starts_with("/api/") => {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": "jeton manquant ou invalide"})),
                )
                    .into_response();
            }
            None => {
                let target = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                return Redirect::to(&format!(
                    "/connexion?suite={}",
                    crate::pages::encode(target)
                ))
                .into_response();
            }
            Some(_) if path.starts_with("/api/") => {
                return (
                    StatusCode::FORBIDDEN,
                    axum::Json(serde_json::json!({"error": "ce jeton ou ce compte n'a pas accès à cette adresse"})),
                )
                    .into_response();
            }
            Some(_) => {
                return forbidden_page("Votre compte ne donne pas accès à cette page.");
            }
        }
    }
    let mut req = req;
    if method == Method::POST {
        if cross_site(req.headers()) {
            return forbidden_page("Ce formulaire vient d'un autre site : il est refusé.");
        }
        // A form that acts with a session's authority carries the session's CSRF token.
        // Public forms (Who::Anyone) give no authority to abuse: the Origin check suffices,
        // and their pages stay cacheable.
        let expected = identity.csrf().to_string();
        if matches!(who, Who::Roles(_)) && !expected.is_empty() {
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
                Ok(b) => b,
                Err(_) => {
                    return crate::pages::message_page(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Envoi trop gros",
                        &["Le formulaire envoyé est trop gros."],
                        false,
                        "",
                    )
                }
            };
            if !form_field(&bytes, "csrf").is_some_and(|t| same(&t, &expected)) {
                return forbidden_page("Le formulaire a expiré. Revenez en arrière, rechargez la page, puis réessayez.");
            }
            req = Request::from_parts(parts, Body::from(bytes));
        }
    }
    req.extensions_mut().insert(identity);
    // Pages with personal data stay out of shared computers' caches: every page behind a
    // role, a person's space, the sign-in pages and every answer to a form.
    let personal = matches!(who, Who::Roles(_))
        || path.starts_with("/mon-espace")
        || path.starts_with("/connexion")
        || method == Method::POST;
    let mut res = next.run(req).await;
    if personal {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    res
}

/// The methods the table allows on a route, for the `Allow` header.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = ACCESS
        .iter()
        .filter(|(_, p, _)| *p == path)
        .map(|(m, _, _)| *m)
        .collect();
    if v.contains(&"GET") {
        v.push("HEAD");
    }
    v
}

/// A method the route does not take: 405 with the methods it takes. Logged once per method,
/// route and minute, so a scanner cannot fill the logs.
fn method_not_allowed(method: &str, path: &str) -> Response {
    static SEEN: std::sync::Mutex<
        Option<std::collections::HashMap<(String, String), std::time::Instant>>,
    > = std::sync::Mutex::new(None);
    if let Ok(mut seen) = SEEN.lock() {
        let seen = seen.get_or_insert_with(Default::default);
        if seen.len() > 1_000 {
            seen.retain(|_, t| t.elapsed().as_secs() < 60);
        }
        let key = (
            method.chars().take(20).collect::<String>(),
            path.to_string(),
        );
        if seen.get(&key).is_none_or(|t| t.elapsed().as_secs() >= 60) {
            eprintln!("méthode refusée : {} {path} (une ligne par minute)", key.0);
            seen.insert(key, std::time::Instant::now());
        }
    }
    let allow = allowed_methods(path);
    if allow.is_empty() {
        return AppError::NotFound.into_response();
    }
    let mut res = if path.starts_with("/api/") {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(
                serde_json::json!({"error": "méthode non prise en charge sur cette adresse"}),
            ),
        )
            .into_response()
    } else {
        crate::pages::message_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Action impossible",
            &["Cette adresse ne prend pas cette action. Revenez à la page d'accueil."],
            false,
            "",
        )
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&allow.join(", ")) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}
