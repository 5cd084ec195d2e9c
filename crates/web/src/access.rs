//! Who may use which route, enforced by one middleware.
//!
//! Each route says who may call it where it is declared (`crate::routes`); [`table`] gathers
//! those declarations, the guard checks every request against them (another method on a known
//! path answers 405, an unknown path 404: deny by default), and `tests/access.rs` walks every
//! route with every role to check the answers against the table.

use crate::error::AppError;
use crate::SharedState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use dklik_domain::PersonId;
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

pub(crate) const STAFF: &[Role] = &Role::STAFF;
pub(crate) const ADVISORS: &[Role] = &[Role::Admin, Role::Advisor];
pub(crate) const ADMIN: &[Role] = &[Role::Admin];
pub(crate) const EMPLOYER: &[Role] = &[Role::Employer];
pub(crate) const PERSON: &[Role] = &[Role::Person];
pub(crate) const SIGNED_IN: &[Role] = &[
    Role::Admin,
    Role::Advisor,
    Role::MobileTeam,
    Role::Employer,
    Role::Person,
];
pub(crate) const DEVICES: &[Role] = &[Role::Screen, Role::Feed];
pub(crate) const FEED: &[Role] = &[Role::Feed];
pub(crate) const SCREEN: &[Role] = &[Role::Screen];

/// The access table: (method, route, who), made once from the routes' declarations.
pub fn table() -> &'static [(&'static str, &'static str, Who)] {
    static TABLE: std::sync::OnceLock<Vec<(&'static str, &'static str, Who)>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        crate::routes::all()
            .into_iter()
            .map(|r| (r.method, r.path, r.who))
            .collect()
    })
}

pub fn lookup(method: &str, path: &str) -> Option<Who> {
    let method = if method == "HEAD" { "GET" } else { method };
    table()
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
        id: PersonId,
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
                .map_err(AppError::from)?
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
        .map_err(AppError::from)?;
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

/// The guard: resolves the caller, checks the table, and protects forms against CSRF. The
/// answer carries the route's pattern for the request log.
pub async fn guard(st: State<SharedState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| table().iter().find(|(_, p, _)| *p == m.as_str()))
        .map(|(_, p, _)| *p);
    let mut res = check(st, req, next).await;
    if let Some(r) = route {
        res.extensions_mut().insert(crate::log::RouteName(r));
    }
    res
}

async fn check(State(st): State<SharedState>, req: Request, next: Next) -> Response {
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
    let mut v: Vec<&'static str> = table()
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
            tracing::warn!(method = %key.0, route = %path, "méthode refusée (une ligne par minute)");
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
