//! The programme team's settings for the bus screens (`/admin/ecrans`): campaigns, GPS fences,
//! physical screens and fallback messages. Every change is written to the audit log and reaches
//! the trigger engine at once.

use crate::access::Identity;
use crate::error::AppError;
use crate::SharedState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_app::inbox::actor_label;
use dklik_app::screen_settings::{CampaignForm, SettingsError};
use dklik_app::store::FenceRecord;
use dklik_domain::FieldError;
use std::collections::HashMap;

struct CampaignRow {
    id: i64,
    name: String,
    offers: String,
    when: String,
    lines: String,
    weight: String,
}

#[derive(Template)]
#[template(path = "admin_screens.html")]
struct SettingsPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    form: CampaignForm,
    campaigns: Vec<CampaignRow>,
    fences: Vec<FenceRecord>,
    sites: Vec<(i64, String)>,
    health: Vec<HealthRow>,
    regions: Vec<(&'static str, &'static str)>,
    takeovers: Vec<TakeoverRow>,
    messages: Vec<(i64, String, String, String)>,
}

/// A registered screen and its health, as the admins read it.
struct HealthRow {
    id: String,
    vehicle: String,
    label: String,
    line: String,
    region: &'static str,
    last_seen: String,
    slide: String,
    up_day: String,
    up_week: String,
    shown_today: i64,
    /// "" when all is well, else what is wrong.
    alert: String,
}

/// A service message running or to come.
struct TakeoverRow {
    id: i64,
    text: String,
    scope: String,
    when: String,
}

fn percent(x: f64) -> String {
    format!("{:.0} %", (x * 100.0).clamp(0.0, 100.0))
}

fn paris_time(t: i64) -> String {
    dklik_app::short_time_fr(t)
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn day_fr(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

async fn settings_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    form: CampaignForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let mut codes: HashMap<i64, String> = HashMap::new();
    let campaigns_stored = store.campaigns().await?;
    for c in &campaigns_stored {
        for o in &c.offer_ids {
            if let std::collections::hash_map::Entry::Vacant(v) = codes.entry(o.0) {
                if let Some(offer) = store.offer(*o).await? {
                    v.insert(offer.code.to_string());
                }
            }
        }
    }
    let campaigns = campaigns_stored
        .into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            offers: c
                .offer_ids
                .iter()
                .filter_map(|o| codes.get(&o.0).cloned())
                .collect::<Vec<_>>()
                .join(" "),
            when: format!(
                "du {} au {}, de {} à {}",
                day_fr(c.from),
                day_fr(c.to),
                hhmm(c.from_minute),
                hhmm(c.to_minute)
            ),
            lines: if c.lines.is_empty() {
                "toutes".into()
            } else {
                c.lines.join(", ")
            },
            weight: format!("{}", c.weight).replace('.', ","),
            name: c.name,
        })
        .collect();
    let mut sites = Vec::new();
    for e in store.employers().await? {
        for s in store.sites(e.employer.id).await? {
            sites.push((
                s.id.0,
                format!("{} – {} ({})", e.employer.name, s.name, s.commune),
            ));
        }
    }
    let now = dklik_app::unix_now();
    let feed = st.transit.feed(store).await?;
    let health = dklik_app::screen_health::statuses(store, &feed, now)
        .await?
        .into_iter()
        .map(|s| HealthRow {
            region: dklik_app::screen_health::Region::parse(&s.screen.region)
                .unwrap_or(dklik_app::screen_health::Region::Whole)
                .label(),
            last_seen: s
                .health
                .as_ref()
                .map_or("jamais".into(), |h| paris_time(h.last_seen)),
            slide: s
                .health
                .as_ref()
                .map_or(String::new(), |h| match h.slide.as_str() {
                    "general" => "la carte générale".into(),
                    "message" => "un message".into(),
                    code => format!("l'affichage {code}"),
                }),
            up_day: percent(s.uptime_day),
            up_week: percent(s.uptime_week),
            shown_today: s.shown_today,
            alert: match s.silent_since {
                Some(t) => format!("Silencieux depuis {} pendant le service", paris_time(t)),
                None => String::new(),
            },
            id: s.screen.id,
            vehicle: s.screen.vehicle,
            label: s.screen.label,
            line: s.screen.line.unwrap_or_default(),
        })
        .collect();
    let takeovers = st
        .screens
        .takeovers()
        .iter()
        .map(|t| TakeoverRow {
            id: t.id,
            text: t.text.clone(),
            scope: match t.scope {
                dklik_app::store::TakeoverScope::All => "tous les écrans".into(),
                dklik_app::store::TakeoverScope::Line => format!("ligne {}", t.target),
                dklik_app::store::TakeoverScope::Screen => format!("écran {}", t.target),
            },
            when: format!("de {} à {}", paris_time(t.from), paris_time(t.until)),
        })
        .collect();
    let page = SettingsPage {
        me: actor_label(u),
        notice: notice.to_string(),
        errors,
        csrf: ident.csrf().to_string(),
        form,
        campaigns,
        fences: store.fences().await?,
        sites,
        health,
        regions: dklik_app::screen_health::Region::ALL
            .iter()
            .map(|r| (r.name(), r.label()))
            .collect(),
        takeovers,
        messages: store
            .screen_messages()
            .await?
            .into_iter()
            .map(|m| (m.id, m.text, day_fr(m.from), day_fr(m.to)))
            .collect(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    ok: String,
}

pub async fn page(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "campagne" => "La campagne est enregistrée.",
        "zone" => "La zone est enregistrée.",
        "ecran" => "L'écran est enregistré.",
        "message" => "Le message est enregistré.",
        "prioritaires" => "C'est fait : les écrans concernés le montrent déjà.",
        "supprime" => "C'est supprimé.",
        _ => "",
    };
    let form = CampaignForm {
        poids: "1".into(),
        ..Default::default()
    };
    settings_page(&st, &ident, notice, vec![], form, StatusCode::OK).await
}

/// After a change: the audit line, the engine reloaded, back to the page with a notice.
pub(crate) async fn done(
    st: &SharedState,
    ident: &Identity,
    subject: String,
    detail: &str,
    notice: &str,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let now = dklik_app::unix_now();
    st.store
        .add_audit(Some(u.id), &actor_label(u), "update", &subject, detail, now)
        .await?;
    st.screens.refresh_offers(st.store.as_ref()).await?;
    Ok(Redirect::to(&format!("/admin/ecrans?ok={notice}")).into_response())
}

/// The page again with the form's errors, or the failure.
pub(crate) async fn refused(
    st: &SharedState,
    ident: &Identity,
    e: SettingsError,
    form: CampaignForm,
) -> Result<Response, AppError> {
    match e {
        SettingsError::Invalid(v) => {
            settings_page(
                st,
                ident,
                "",
                v.errors,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        SettingsError::Store(s) => Err(s.into()),
    }
}

pub async fn add_campaign(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<CampaignForm>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    match dklik_app::screen_settings::add_campaign(st.store.as_ref(), &f, now).await {
        Ok(id) => {
            done(
                &st,
                &ident,
                format!("campaign:{id}"),
                "campagne créée",
                "campagne",
            )
            .await
        }
        Err(e) => refused(&st, &ident, e, f).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FenceFields {
    site: String,
    rayon: String,
}

pub async fn set_fence(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<FenceFields>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    match dklik_app::screen_settings::set_fence(st.store.as_ref(), &f.site, &f.rayon, now).await {
        Ok(()) => {
            done(
                &st,
                &ident,
                format!("site:{}", f.site.trim()),
                "zone enregistrée",
                "zone",
            )
            .await
        }
        Err(e) => refused(&st, &ident, e, CampaignForm::default()).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ScreenFields {
    ecran: String,
    vehicule: String,
    libelle: String,
    ligne: String,
    zone: String,
}

pub async fn add_screen(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<ScreenFields>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    let form = dklik_app::screen_settings::ScreenForm {
        id: f.ecran.clone(),
        vehicle: f.vehicule,
        label: f.libelle,
        line: f.ligne,
        region: f.zone,
    };
    match dklik_app::screen_settings::add_screen(st.store.as_ref(), &form, now).await {
        Ok(()) => {
            done(
                &st,
                &ident,
                format!("screen:{}", f.ecran.trim()),
                "écran enregistré",
                "ecran",
            )
            .await
        }
        Err(e) => refused(&st, &ident, e, CampaignForm::default()).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct MessageFields {
    texte: String,
    du: String,
    au: String,
}

pub async fn add_message(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<MessageFields>,
) -> Result<Response, AppError> {
    let now = dklik_app::unix_now();
    match dklik_app::screen_settings::add_message(st.store.as_ref(), &f.texte, &f.du, &f.au, now)
        .await
    {
        Ok(id) => {
            done(
                &st,
                &ident,
                format!("screen_message:{id}"),
                "message ajouté",
                "message",
            )
            .await
        }
        Err(e) => refused(&st, &ident, e, CampaignForm::default()).await,
    }
}

/// `POST /admin/ecrans/{kind}/{id}/supprimer`.
pub async fn delete(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let store = st.store.as_ref();
    let num = || id.parse::<i64>().map_err(|_| AppError::NotFound);
    let subject = match kind.as_str() {
        "campagnes" => {
            store.delete_campaign(num()?).await?;
            format!("campaign:{id}")
        }
        "zones" => {
            store.delete_fence(num()?).await?;
            format!("fence:{id}")
        }
        "ecrans" => {
            store.delete_screen(&id).await?;
            format!("screen:{id}")
        }
        "messages" => {
            store.delete_screen_message(num()?).await?;
            format!("screen_message:{id}")
        }
        _ => return Err(AppError::NotFound),
    };
    done(&st, &ident, subject, "supprimé", "supprime").await
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN};
    use crate::routes::{get, post};
    vec![
        get("/admin/ecrans", Who::Roles(ADMIN), page),
        post("/admin/ecrans/campagnes", Who::Roles(ADMIN), add_campaign),
        post("/admin/ecrans/zones", Who::Roles(ADMIN), set_fence),
        post("/admin/ecrans/ecrans", Who::Roles(ADMIN), add_screen),
        post("/admin/ecrans/messages", Who::Roles(ADMIN), add_message),
        post(
            "/admin/ecrans/{kind}/{id}/supprimer",
            Who::Roles(ADMIN),
            delete,
        ),
    ]
}
