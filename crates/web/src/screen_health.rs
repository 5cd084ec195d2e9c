//! The screens' heartbeat (`POST /ecran/{id}/signal`), service messages through the API
//! (`/api/v1/takeover`, screen tokens) and from the admins' screens page.

use crate::access::Identity;
use crate::error::{ApiError, AppError};
use crate::openapi::ErrorBody;
use crate::SharedState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use dklik_app::screen_health::{BeatError, BeatIn};
use dklik_app::store::{Takeover, TakeoverScope};
use dklik_app::takeovers::{TakeoverError, TakeoverForm};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn refused(status: StatusCode, error: String) -> Response {
    (status, Json(ErrorBody { error })).into_response()
}

/// Whether a heartbeat was kept.
#[derive(Serialize)]
pub struct BeatAnswer {
    /// False for a page that is not a registered screen (nothing is kept for it).
    pub recorded: bool,
}

/// A screen page's heartbeat: what it shows and the slides it showed since the last one.
pub async fn signal(
    State(st): State<SharedState>,
    Path(page): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if !crate::screens::valid_vehicle(&page) {
        return Ok(refused(StatusCode::NOT_FOUND, "écran inconnu".into()));
    }
    let beat: BeatIn = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!("signal illisible : {e}"),
            ))
        }
    };
    match dklik_app::screen_health::record(
        st.store.as_ref(),
        &page,
        beat,
        st.screens.slide_seconds,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(recorded) => Ok(Json(BeatAnswer { recorded }).into_response()),
        Err(BeatError::Invalid(m)) => Ok(refused(StatusCode::BAD_REQUEST, m)),
        Err(BeatError::Store(e)) => Err(e.into()),
    }
}

/// A service message asked through the API.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeoverIn {
    /// The message (280 characters at most).
    #[schemars(length(min = 1, max = 280))]
    message: String,
    /// Which screens: all, a line's, or one screen.
    scope: TakeoverScope,
    /// The line (short name or GTFS route id) or the screen (or vehicle); required for
    /// "line" and "screen", ignored for "all".
    #[serde(default)]
    #[schemars(length(max = 64), extend("pattern" = "^[A-Za-z0-9._ -]*$"))]
    target: String,
    /// Start, RFC 3339 (now when absent).
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    from: Option<String>,
    /// End, RFC 3339: after the start and after now, 31 days after the start at most.
    #[schemars(extend("format" = "date-time"))]
    until: String,
}

/// The service messages running or to come.
#[derive(Serialize, JsonSchema)]
pub struct TakeoverList {
    /// In order of start.
    pub takeovers: Vec<Takeover>,
}

fn instant(s: &str) -> Option<i64> {
    dklik_transit::realtime::parse_instant(s)
}

/// `POST /api/v1/takeover`: a service message on screens, at once.
pub async fn api_create(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let t: TakeoverIn = match serde_json::from_slice(&body) {
        Ok(t) => t,
        Err(e) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!("JSON illisible : {e}"),
            ))
        }
    };
    let mut bad = Vec::new();
    let from = match t.from.as_deref() {
        None => None,
        Some(f) => match instant(f) {
            Some(v) => Some(v),
            None => {
                bad.push("« from » : une date RFC 3339, par exemple 2026-11-30T18:00:00+01:00");
                None
            }
        },
    };
    let until = instant(&t.until);
    if until.is_none() {
        bad.push("« until » : une date RFC 3339, par exemple 2026-11-30T18:00:00+01:00");
    }
    if !bad.is_empty() {
        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, bad.join(" ; ")));
    }
    let form = TakeoverForm {
        text: t.message,
        scope: t.scope.as_str().to_string(),
        target: t.target,
        from,
        until,
    };
    let _ = ident;
    let who = "système de l'exploitant (jeton d'écran)";
    match dklik_app::takeovers::create(
        st.store.as_ref(),
        &st.screens,
        &form,
        who,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(t) => Ok((StatusCode::CREATED, Json(t)).into_response()),
        Err(TakeoverError::Invalid(v)) => {
            let msg: Vec<String> = v.errors.iter().map(|e| e.message.clone()).collect();
            Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, msg.join(" ")))
        }
        Err(TakeoverError::Store(e)) => Err(e.into()),
    }
}

/// `GET /api/v1/takeover`: the service messages running or to come.
pub async fn api_list(State(st): State<SharedState>) -> Result<Json<TakeoverList>, ApiError> {
    let now = dklik_app::unix_now();
    let takeovers = dklik_app::screens::running_takeovers(st.store.as_ref(), now).await?;
    Ok(Json(TakeoverList { takeovers }))
}

/// Whether a service message was ended.
#[derive(Serialize, JsonSchema)]
pub struct Ended {
    /// False when it had already ended (or never existed).
    pub ended: bool,
}

/// `POST /api/v1/takeover/{id}/fin`: ends a service message now.
pub async fn api_end(
    State(st): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            "message inconnu : son numéro est un entier".into(),
        ));
    };
    let ended =
        dklik_app::takeovers::end(st.store.as_ref(), &st.screens, id, dklik_app::unix_now())
            .await?;
    if !ended {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            "aucun message en cours avec ce numéro".into(),
        ));
    }
    Ok(Json(Ended { ended }).into_response())
}

/// The admins' form for a service message.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TakeoverFields {
    texte: String,
    portee: String,
    cible: String,
    /// Minutes from now.
    duree: String,
}

/// `POST /admin/ecrans/prioritaires`: a service message from the admins' screens page.
pub async fn admin_create(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    axum::Form(f): axum::Form<TakeoverFields>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    let minutes: Option<i64> = f.duree.trim().parse().ok().filter(|m| *m > 0);
    let form = TakeoverForm {
        text: f.texte,
        scope: f.portee,
        target: f.cible,
        from: None,
        until: minutes.map(|m| now + m.min(31 * 24 * 60) * 60),
    };
    let who = ident
        .user()
        .map(dklik_app::inbox::actor_label)
        .unwrap_or_default();
    match dklik_app::takeovers::create(st.store.as_ref(), &st.screens, &form, &who, now).await {
        Ok(t) => {
            crate::screen_settings::done(
                &st,
                &ident,
                format!("takeover:{}", t.id),
                "message prioritaire affiché",
                "prioritaires",
            )
            .await
        }
        Err(TakeoverError::Invalid(v)) => {
            crate::screen_settings::refused(
                &st,
                &ident,
                dklik_app::screen_settings::SettingsError::Invalid(v),
                Default::default(),
            )
            .await
        }
        Err(TakeoverError::Store(e)) => Err(e.into()),
    }
}

/// `POST /admin/ecrans/prioritaires/{id}/fin`: ends a service message from the admins' page.
pub async fn admin_end(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    dklik_app::takeovers::end(st.store.as_ref(), &st.screens, id, dklik_app::unix_now()).await?;
    crate::screen_settings::done(
        &st,
        &ident,
        format!("takeover:{id}"),
        "message prioritaire arrêté",
        "prioritaires",
    )
    .await
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN, SCREEN};
    use crate::openapi::Op;
    use crate::routes::{get, post};
    vec![
        post("/ecran/{vehicle}/signal", Who::Anyone, signal),
        post("/admin/ecrans/prioritaires", Who::Roles(ADMIN), admin_create),
        post(
            "/admin/ecrans/prioritaires/{id}/fin",
            Who::Roles(ADMIN),
            admin_end,
        ),
        post("/api/v1/takeover", Who::Roles(SCREEN), api_create).doc(
            Op::new("postTakeover", "Un message prioritaire sur les écrans (tous, une ligne, un écran), par un jeton de rôle screen")
                .describe("Il remplace les offres à l'instant sur les écrans ouverts et s'arrête seul à `until`.")
                .json_body::<TakeoverIn>()
                .answer::<Takeover>(201, "Le message enregistré"),
        ),
        get("/api/v1/takeover", Who::Roles(SCREEN), api_list).doc(
            Op::new("listTakeovers", "Les messages prioritaires en cours ou à venir")
                .answer::<TakeoverList>(200, "Par ordre de début"),
        ),
        post("/api/v1/takeover/{id}/fin", Who::Roles(SCREEN), api_end).doc(
            Op::new("endTakeover", "Arrête un message prioritaire maintenant")
                .path::<String>("id", "Le numéro du message")
                .answer::<Ended>(200, "Arrêté"),
        ),
    ]
}
