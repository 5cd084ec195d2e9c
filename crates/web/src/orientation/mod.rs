//! OrientaKlik pages. Public: the catalogue and registration, the agenda with its iCalendar
//! feeds, each event's page and poster. Staff: sessions, attendance and the survey, events, and
//! the mobile team's contact form.

use crate::access::Identity;
use crate::account::format_time;
use crate::error::AppError;
use crate::forms::status_of;
use crate::skills::FormData;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use dklik_app::inbox::actor_label;
use dklik_app::orientation::{ContactForm, OrientationError, ORIENTATION_CONSENT_TEXT};
use dklik_app::orientation_store::ServiceFilter;
use dklik_app::StoreError;
use dklik_domain::orientation::{
    EventKind, Need, NextStep, OutreachChannel, OutreachPlace, PlaceKind, RegistrationStatus,
    ServiceKind,
};
use dklik_domain::FieldError;

fn errors_of(e: OrientationError) -> Result<Vec<FieldError>, AppError> {
    match e {
        OrientationError::Invalid(v) => Ok(v.errors),
        OrientationError::Store(StoreError::NotFound) => Err(AppError::NotFound),
        OrientationError::Store(s) => Err(s.into()),
    }
}

fn id_of(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// "mardi 3 décembre 2026 à 9h30", Europe/Paris.
pub fn when_fr(t: i64) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = dklik_app::MONTHS_FR;
    let d = time::OffsetDateTime::from_unix_timestamp(t)
        .map(|x| x.to_offset(dklik_app::now_paris().offset()))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {} {} {} à {}h{:02}",
        DAYS[d.weekday().number_days_from_monday() as usize],
        d.day(),
        MONTHS[usize::from(u8::from(d.month())) - 1],
        d.year(),
        d.hour(),
        d.minute()
    )
}

// One file per page group; this one holds what they share.
mod agenda;
mod catalogue;
mod events;
mod outreach;
mod staff;
pub use agenda::*;
pub use catalogue::*;
pub use events::*;
pub use outreach::*;
pub use staff::*;

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADVISORS, STAFF};
    use crate::routes::{get, post};
    vec![
        get("/orientaklik", Who::Anyone, catalogue),
        get("/orientaklik/{id}", Who::Anyone, service),
        post("/orientaklik/{id}/inscription", Who::Anyone, register),
        get("/agenda", Who::Anyone, agenda),
        get("/agenda/{file}", Who::Anyone, ics),
        get("/e/{code}", Who::Anyone, event),
        post("/e/{code}/inscription", Who::Anyone, register_event),
        get("/e/{code}/affiche", Who::Anyone, poster),
        get("/conseil/orientaklik", Who::Roles(ADVISORS), admin),
        post(
            "/conseil/orientaklik/services",
            Who::Roles(ADVISORS),
            create_service,
        ),
        post(
            "/conseil/orientaklik/seances",
            Who::Roles(ADVISORS),
            create_session,
        ),
        get(
            "/conseil/orientaklik/seances/{id}",
            Who::Roles(ADVISORS),
            session,
        ),
        post(
            "/conseil/orientaklik/seances/{id}/{what}",
            Who::Roles(ADVISORS),
            session_change,
        ),
        get(
            "/conseil/orientaklik/bilan",
            Who::Roles(ADVISORS),
            survey_report,
        ),
        get("/conseil/agenda", Who::Roles(STAFF), agenda_admin),
        post("/conseil/agenda", Who::Roles(STAFF), create_event),
        get("/equipe-mobile", Who::Roles(STAFF), outreach),
        post("/equipe-mobile", Who::Roles(STAFF), record_outreach),
    ]
}
