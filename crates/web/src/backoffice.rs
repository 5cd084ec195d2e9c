//! The back office: the advisors' inbox, administration, the employer's own space.

use crate::access::Identity;
use crate::account::{format_time, TablePage};
use crate::error::AppError;
use crate::forms::json_download;
use crate::pages::message_page;
use crate::SharedState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use dklik_app::inbox::{actor_label, is_overdue};
use dklik_app::{InboxFilter, InboxRow, StoreError};
use dklik_domain::PersonId;
use dklik_domain::{FieldError, InterestStatus, Role, User};

fn me(id: &Identity) -> Result<&User, AppError> {
    id.user().ok_or(AppError::NotFound)
}

fn day_fr(d: Option<time::Date>) -> String {
    d.and_then(|d| {
        d.format(time::macros::format_description!("[day]/[month]/[year]"))
            .ok()
    })
    .unwrap_or_else(|| "?".into())
}

fn store_err(e: StoreError) -> Result<Response, AppError> {
    match e {
        StoreError::Conflict(m) => Ok(message_page(
            StatusCode::CONFLICT,
            "Changement impossible",
            &[&m],
            false,
            "",
        )),
        other => Err(other.into()),
    }
}

struct InboxCard {
    id: i64,
    /// What the person wrote by text, cut.
    message: Option<String>,
    /// A request by text whose "OUI" has not come yet.
    consent_awaited: bool,
    /// Attached to an existing record because the contact matched: to check first.
    unverified: bool,
    name: String,
    offer: String,
    status: &'static str,
    channel: &'static str,
    due: String,
    overdue: bool,
    assigned: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    me: String,
    is_admin: bool,
    /// Admins and advisors see the programme's figures.
    can_steer: bool,
    filters: Vec<(String, &'static str, bool)>,
    rows: Vec<InboxCard>,
    /// Requests the filter keeps, on every page (up to `INBOX_COUNTED`).
    total: u64,
    /// More than that.
    more: bool,
    page: u32,
    pages: u32,
    prev_link: String,
    next_link: String,
    /// Pairs of records that may be one person (advisors and admins merge them).
    duplicates: usize,
}

#[derive(serde::Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    filtre: String,
    #[serde(default)]
    retard: String,
    /// Read leniently: anything but a page number is the first page.
    #[serde(default)]
    page: String,
}

/// Requests per page of the inbox.
const INBOX_PER_PAGE: u32 = 50;
/// Requests counted and given by pages, at most.
const INBOX_COUNTED: u64 = 1_000;
/// How long a queue's count is kept.
const INBOX_COUNT_KEPT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn inbox(
    State(st): State<SharedState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let u = me(&id)?;
    let today = dklik_app::today_paris();
    let filtre = if q.retard == "1" {
        "retard"
    } else {
        q.filtre.as_str()
    };
    let mut f = InboxFilter {
        limit: INBOX_PER_PAGE,
        ..Default::default()
    };
    let current = match filtre {
        "miennes" => {
            f.assigned_to = Some(u.id);
            "miennes"
        }
        "libres" => {
            f.unassigned = true;
            "libres"
        }
        "retard" => {
            f.overdue_on = Some(today);
            "retard"
        }
        _ => {
            f.status = Some(InterestStatus::New);
            "nouvelles"
        }
    };
    // Counted up to a thousand: beyond, filters serve better than pages. A count is kept 2
    // seconds per queue (the rows themselves are always read).
    let key = format!("{current}:{}:{today}", f.assigned_to.unwrap_or(0));
    let kept = st.inbox_counts.lock().ok().and_then(|m| {
        m.get(&key)
            .filter(|(at, _)| at.elapsed() < INBOX_COUNT_KEPT)
            .map(|(_, n)| *n)
    });
    let total = match kept {
        Some(n) => n,
        None => {
            let n = st.store.inbox_count(&f, INBOX_COUNTED + 1).await?;
            if let Ok(mut m) = st.inbox_counts.lock() {
                // One entry per queue and advisor: a few hundred at most; emptied when old.
                m.retain(|_, (at, _)| at.elapsed() < INBOX_COUNT_KEPT);
                m.insert(key, (std::time::Instant::now(), n));
            }
            n
        }
    };
    let pages = total
        .min(INBOX_COUNTED)
        .div_ceil(u64::from(INBOX_PER_PAGE))
        .max(1) as u32;
    let page = q.page.trim().parse::<u32>().unwrap_or(1).clamp(1, pages);
    f.offset = (page - 1).saturating_mul(INBOX_PER_PAGE);
    let rows = st.store.inbox(&f).await?;
    let link = |p: u32| format!("/conseil/demandes?filtre={current}&page={p}");
    let filters = [
        ("nouvelles", "Nouvelles"),
        ("miennes", "Confiées à moi"),
        ("libres", "Confiées à personne"),
        ("retard", "En retard"),
    ]
    .into_iter()
    .map(|(k, label)| (format!("/conseil/demandes?filtre={k}"), label, k == current))
    .collect();
    let page = InboxPage {
        me: actor_label(u),
        is_admin: u.role == Role::Admin,
        can_steer: matches!(u.role, Role::Admin | Role::Advisor),
        filters,
        total: total.min(INBOX_COUNTED),
        more: total > INBOX_COUNTED,
        page,
        pages,
        prev_link: link(page.saturating_sub(1).max(1)),
        next_link: link(page + 1),
        rows: rows
            .iter()
            .map(|r| InboxCard {
                id: r.interest.id,
                unverified: r.unverified,
                name: requester_name(&r.interest),
                message: r.interest.message.as_ref().map(|m| {
                    if m.chars().count() > 140 {
                        format!("{}…", m.chars().take(139).collect::<String>())
                    } else {
                        m.clone()
                    }
                }),
                consent_awaited: consent_awaited(&r.interest),
                offer: r
                    .offer_title
                    .clone()
                    .unwrap_or_else(|| "Sans offre précise".into()),
                status: r.interest.status.label_fr(),
                channel: r.interest.channel.label_fr(),
                due: day_fr(r.interest.callback_due),
                overdue: is_overdue(r.interest.status, r.interest.callback_due, today),
                assigned: r
                    .assigned_name
                    .clone()
                    .map(|n| format!("Suivie par {n}"))
                    .unwrap_or_else(|| "Confiée à personne".into()),
            })
            .collect(),
        duplicates: if matches!(u.role, Role::Admin | Role::Advisor) {
            recent_duplicates(&st).await?
        } else {
            0
        },
    };
    Ok(Html(page.render()?).into_response())
}

/// The inbox and `/conseil/doublons` look for duplicates among the records of the last 90
/// days (a person's page looks among all).
const RECENT_DUPLICATES_S: i64 = 90 * 86_400;

/// Pairs of likely duplicates among recent records, as the inbox's banner counts them: counted
/// again when people changed (`people_version`) or after ten minutes.
/// Counts the likely duplicates before the first inbox asks (`dklik_web::warm_up`).
pub(crate) async fn warm_duplicates(st: &SharedState) {
    if let Err(e) = recent_duplicates(st).await {
        tracing::warn!("doublons probables non comptés au démarrage : {e:?}");
    }
}

async fn recent_duplicates(st: &SharedState) -> Result<usize, AppError> {
    // The people list in memory follows the same version every second: no read then.
    let version = match st.people.version() {
        Some(v) => v,
        None => st.store.people_version().await?,
    };
    // Held while counting: the requests arriving meanwhile wait for this count, not start theirs.
    let mut kept = st.inbox_duplicates.lock().await;
    if let Some((v, at, n)) = *kept {
        if v == version && at.elapsed() < std::time::Duration::from_secs(600) {
            return Ok(n);
        }
    }
    let n = st
        .store
        .duplicates(None, dklik_app::unix_now() - RECENT_DUPLICATES_S, 100)
        .await?
        .len();
    *kept = Some((version, std::time::Instant::now(), n));
    Ok(n)
}

/// One pair of likely duplicates, as shown.
pub(crate) struct DupView {
    pub(crate) a: PersonId,
    pub(crate) a_name: String,
    pub(crate) a_created: String,
    pub(crate) b: PersonId,
    pub(crate) b_name: String,
    pub(crate) b_created: String,
    pub(crate) reason: &'static str,
}

pub(crate) fn dup_views(pairs: &[dklik_app::people_store::DuplicatePair]) -> Vec<DupView> {
    let day = |t: i64| {
        format_time(t)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let name = |n: &str| {
        if n.is_empty() {
            "(sans prénom)".to_string()
        } else {
            n.to_string()
        }
    };
    pairs
        .iter()
        .map(|p| DupView {
            a: p.a,
            a_name: name(&p.a_name),
            a_created: day(p.a_created_at),
            b: p.b,
            b_name: name(&p.b_name),
            b_created: day(p.b_created_at),
            reason: match p.reason {
                dklik_app::people_store::DuplicateReason::Phone => "Même téléphone",
                dklik_app::people_store::DuplicateReason::Email => "Même adresse e-mail",
                dklik_app::people_store::DuplicateReason::NameAndCommune => {
                    "Même prénom et même commune"
                }
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    me: String,
    notice: String,
    pairs: Vec<DupView>,
    csrf: String,
}

/// `/conseil/doublons`: the records that may be one person, to check and merge.
pub async fn duplicates(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let pairs = st
        .store
        .duplicates(None, dklik_app::unix_now() - RECENT_DUPLICATES_S, 200)
        .await?;
    Ok(Html(
        DuplicatesPage {
            me: actor_label(u),
            notice: if q.ok == "fusion" {
                "Les deux fiches n'en font plus qu'une.".into()
            } else {
                String::new()
            },
            pairs: dup_views(&pairs),
            csrf: ident.csrf().to_string(),
        }
        .render()?,
    )
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct MergeFields {
    #[serde(default)]
    autre: String,
    #[serde(default)]
    confirmer: String,
}

/// Merges the record `autre` into this one, once the advisor confirmed it is one person.
pub async fn merge(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Form(f): Form<MergeFields>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let keep = PersonId(id.parse().map_err(|_| AppError::NotFound)?);
    let Ok(other) = f.autre.trim().parse::<i64>().map(PersonId) else {
        return Ok(message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Rien n'a été fusionné",
            &["Choisissez la fiche à fusionner depuis la liste des doublons."],
            false,
            "",
        ));
    };
    if f.confirmer != "oui" {
        return Ok(message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Rien n'a été fusionné",
            &["Cochez la case pour confirmer que c'est la même personne, puis appuyez de nouveau sur « Fusionner »."],
            false,
            "",
        ));
    }
    match dklik_app::privacy::merge_people(
        st.store.as_ref(),
        keep,
        other,
        Some(u.id),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/personnes/{keep}?ok=fusion")).into_response()),
        Err(StoreError::NotFound) => Ok(message_page(
            StatusCode::NOT_FOUND,
            "Rien n'a été fusionné",
            &["Une des deux fiches n'existe plus : elle a été effacée ou déjà fusionnée."],
            false,
            "",
        )),
        Err(e) => store_err(e),
    }
}

#[derive(Template)]
#[template(path = "interest.html")]
struct InterestPage {
    id: i64,
    message: Option<String>,
    consent_awaited: bool,
    person_id: PersonId,
    name: String,
    offer: String,
    offer_code: Option<String>,
    phone: String,
    /// The number as digits, for a tel: link that dials from a phone.
    phone_link: Option<String>,
    email: String,
    best_time: &'static str,
    channel: String,
    status: &'static str,
    assigned: String,
    due: String,
    overdue: bool,
    next_statuses: Vec<(&'static str, &'static str)>,
    advisors: Vec<(i64, String, bool)>,
    csrf: String,
    can_manage_data: bool,
    errors: Vec<FieldError>,
    unverified: bool,
}

/// Who asked, as the inbox names them: the first name typed; for a text message, none was
/// typed; an erased record has none left.
fn requester_name(i: &dklik_domain::Interest) -> String {
    if !i.first_name.is_empty() {
        i.first_name.clone()
    } else if i.channel == dklik_domain::Channel::Sms && i.phone.is_some() {
        "Par SMS (prénom inconnu)".into()
    } else {
        "(données effacées)".into()
    }
}

/// A request by text message still waiting for the person's "OUI".
fn consent_awaited(i: &dklik_domain::Interest) -> bool {
    i.consent_version == dklik_domain::interest::CONSENT_AWAITED
}

async fn load_interest(st: &SharedState, id: i64) -> Result<InboxRow, AppError> {
    st.store.interest(id).await?.ok_or(AppError::NotFound)
}

pub async fn interest(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let r = load_interest(&st, id).await?;
    let now = dklik_app::unix_now();
    dklik_app::privacy::audit_read(
        st.store.as_ref(),
        Some(u.id),
        &actor_label(u),
        &format!("person:{}", r.interest.person_id),
        &format!("demande {id}"),
        now,
    )
    .await?;
    let i = &r.interest;
    let advisors = st
        .store
        .users()
        .await?
        .into_iter()
        .filter(|a| a.role.is_staff() && !a.disabled)
        .map(|a| (a.id, a.display_name.clone(), Some(a.id) == i.assigned_to))
        .collect();
    let channel = if i.channel_detail.is_empty() {
        i.channel.label_fr().to_string()
    } else {
        format!("{} ({})", i.channel.label_fr(), i.channel_detail)
    };
    let page = InterestPage {
        id,
        person_id: i.person_id,
        name: requester_name(i),
        message: i.message.clone(),
        consent_awaited: consent_awaited(i),
        offer: r
            .offer_title
            .clone()
            .unwrap_or_else(|| "Sans offre précise".into()),
        offer_code: r.offer_code.clone(),
        phone: i.phone.clone().unwrap_or_else(|| "—".into()),
        phone_link: i
            .phone
            .as_ref()
            .map(|p| p.chars().filter(char::is_ascii_digit).collect()),
        email: i.email.clone().unwrap_or_else(|| "—".into()),
        best_time: i.best_time.label_fr(),
        channel,
        status: i.status.label_fr(),
        assigned: r.assigned_name.clone().unwrap_or_else(|| "Personne".into()),
        due: day_fr(i.callback_due),
        overdue: is_overdue(i.status, i.callback_due, dklik_app::today_paris()),
        next_statuses: InterestStatus::ALL
            .into_iter()
            .filter(|s| i.status.can_become(*s))
            .map(|s| (s.as_str(), s.label_fr()))
            .collect(),
        advisors,
        csrf: ident.csrf().to_string(),
        can_manage_data: matches!(u.role, Role::Admin | Role::Advisor),
        errors: vec![],
        unverified: r.unverified,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct StatusField {
    #[serde(default)]
    etat: String,
}

pub async fn set_status(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Form(f): Form<StatusField>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let Ok(status) = InterestStatus::parse(&f.etat) else {
        return Ok(message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "État inconnu",
            &["Choisissez un état dans la liste."],
            false,
            "",
        ));
    };
    let answering = dklik_app::inbox::Answering {
        sms: st.sms.as_ref(),
        number: st.sms_number.as_deref(),
    };
    match dklik_app::inbox::set_status(
        st.store.as_ref(),
        answering,
        u,
        id,
        status,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/demandes/{id}")).into_response()),
        Err(e) => store_err(e),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct AssignField {
    #[serde(default)]
    conseiller: String,
}

pub async fn assign(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Form(f): Form<AssignField>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let to = if f.conseiller.trim().is_empty() {
        None
    } else {
        Some(
            f.conseiller
                .trim()
                .parse::<i64>()
                .map_err(|_| AppError::NotFound)?,
        )
    };
    match dklik_app::inbox::assign(st.store.as_ref(), u, id, to, dklik_app::unix_now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/demandes/{id}")).into_response()),
        Err(e) => store_err(e),
    }
}

pub async fn export_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(pid): Path<String>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let pid = PersonId(pid.parse().map_err(|_| AppError::NotFound)?);
    let v = dklik_app::privacy::export_person(
        st.store.as_ref(),
        pid,
        Some(u.id),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await?;
    Ok(json_download(&format!("personne-{pid}.json"), &v))
}

#[derive(serde::Deserialize, Default)]
pub struct ConfirmField {
    #[serde(default)]
    confirmer: String,
}

pub async fn erase_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(pid): Path<String>,
    Form(f): Form<ConfirmField>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let pid = PersonId(pid.parse().map_err(|_| AppError::NotFound)?);
    if f.confirmer != "oui" {
        return Ok(message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Rien n'a été effacé",
            &["Cochez la case de confirmation, puis recommencez."],
            false,
            "",
        ));
    }
    dklik_app::privacy::erase_person(
        st.store.as_ref(),
        pid,
        Some(u.id),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await?;
    Ok(message_page(
        StatusCode::OK,
        "Données effacées",
        &["Le nom et les coordonnées de la personne sont effacés. Les chiffres anonymes restent."],
        false,
        "",
    ))
}

// --- Administration -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    me: String,
    notice: String,
    users: Vec<(String, String, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    employers: Vec<(i64, String)>,
    tokens: Vec<(i64, String, &'static str, String, bool)>,
    outbox: Vec<String>,
    /// Texts per state ("12 envoyés", …), and those waiting with why.
    sms_counts: Vec<String>,
    sms_waiting: Vec<String>,
    csrf: String,
    errors: Vec<FieldError>,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    ok: String,
}

async fn admin_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let page = AdminPage {
        me: actor_label(u),
        notice: notice.to_string(),
        users: st
            .store
            .users()
            .await?
            .into_iter()
            .map(|x| (x.display_name, x.email, x.role.label_fr()))
            .collect(),
        roles: Role::PASSWORD_ACCOUNTS
            .iter()
            .map(|r| (r.as_str(), r.label_fr()))
            .collect(),
        employers: st
            .store
            .employers()
            .await?
            .into_iter()
            .map(|e| (e.employer.id.0, e.employer.name))
            .collect(),
        tokens: st
            .store
            .api_tokens()
            .await?
            .into_iter()
            .map(|t| {
                let state = match (t.revoked_at, t.last_used_at) {
                    (Some(r), _) => format!("révoqué le {}", format_time(r)),
                    (None, Some(u)) => format!("actif, utilisé le {}", format_time(u)),
                    (None, None) => "actif, jamais utilisé".into(),
                };
                (
                    t.id,
                    t.name,
                    t.role.label_fr(),
                    state,
                    t.revoked_at.is_none(),
                )
            })
            .collect(),
        outbox: st
            .store
            .outbox(50)
            .await?
            .into_iter()
            .filter(|m| m.sent_at.is_none())
            .map(|m| {
                format!(
                    "{} – {} – {} essai(s){}",
                    m.to,
                    m.subject,
                    m.attempts,
                    m.last_error.map(|e| format!(" – {e}")).unwrap_or_default()
                )
            })
            .collect(),
        sms_counts: st
            .store
            .sms_counts()
            .await?
            .into_iter()
            .map(|(state, n)| {
                let word = match state {
                    dklik_app::sms_store::SmsState::Queued => "en attente",
                    dklik_app::sms_store::SmsState::Sent => "remis au fournisseur",
                    dklik_app::sms_store::SmsState::Delivered => "reçus",
                    dklik_app::sms_store::SmsState::Failed => "abandonnés ou non reçus",
                };
                format!("{n} {word}")
            })
            .collect(),
        sms_waiting: st
            .store
            .due_sms(i64::MAX, 20)
            .await?
            .into_iter()
            .map(|m| {
                // The number's end only: enough to recognise it, not to copy it.
                let end: String =
                    m.to.chars()
                        .rev()
                        .take(4)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                format!(
                    "…{end} – {} essai(s), prochain le {}{}",
                    m.attempts,
                    format_time(m.next_attempt_at),
                    m.last_error.map(|e| format!(" – {e}")).unwrap_or_default()
                )
            })
            .collect(),
        csrf: ident.csrf().to_string(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn admin(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "compte" => "Le compte est créé.",
        "revoque" => "Le jeton est révoqué : il ne marche plus.",
        _ => "",
    };
    admin_page(&st, &ident, notice, vec![], StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
pub struct NewAccountFields {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    entreprise: String,
    #[serde(default)]
    mot_de_passe: String,
}

pub async fn create_account(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<NewAccountFields>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let now = dklik_app::unix_now();
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(m) => {
            return admin_page(
                &st,
                &ident,
                "",
                vec![FieldError::new("role", m)],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let employer = f
        .entreprise
        .trim()
        .parse::<i64>()
        .ok()
        .map(dklik_domain::EmployerId);
    match dklik_app::auth::create_user(
        st.store.as_ref(),
        &f.email,
        &f.nom,
        &f.mot_de_passe,
        role,
        employer,
        now,
    )
    .await
    {
        Ok(new_id) => {
            st.store
                .add_audit(
                    Some(u.id),
                    &actor_label(u),
                    "update",
                    &format!("user:{new_id}"),
                    "compte créé",
                    now,
                )
                .await?;
            Ok(Redirect::to("/admin?ok=compte").into_response())
        }
        Err(dklik_app::auth::AuthError::Invalid(m)) => {
            admin_page(
                &st,
                &ident,
                "",
                vec![FieldError::new("email", m)],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(dklik_app::auth::AuthError::Store(StoreError::Conflict(m))) => {
            admin_page(
                &st,
                &ident,
                "",
                vec![FieldError::new("email", m)],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NewTokenFields {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    role: String,
}

pub async fn create_token(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Form(f): Form<NewTokenFields>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let now = dklik_app::unix_now();
    let role = Role::parse(&f.role).unwrap_or(Role::Admin);
    match dklik_app::auth::create_api_token(st.store.as_ref(), &f.nom, role, now).await {
        Ok((tid, token)) => {
            st.store
                .add_audit(
                    Some(u.id),
                    &actor_label(u),
                    "update",
                    &format!("api_token:{tid}"),
                    "jeton créé",
                    now,
                )
                .await?;
            Ok(message_page(
                StatusCode::OK,
                "Jeton créé",
                &[
                    "Copiez ce jeton maintenant : il ne sera plus jamais affiché.",
                    &token,
                    "L'appareil l'envoie dans l'en-tête « Authorization: Bearer … ».",
                ],
                false,
                "",
            ))
        }
        Err(dklik_app::auth::AuthError::Invalid(m)) => {
            admin_page(
                &st,
                &ident,
                "",
                vec![FieldError::new("jeton_nom", m)],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(tid): Path<String>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let tid: i64 = tid.parse().map_err(|_| AppError::NotFound)?;
    let now = dklik_app::unix_now();
    st.store.revoke_api_token(tid, now).await?;
    st.store
        .add_audit(
            Some(u.id),
            &actor_label(u),
            "update",
            &format!("api_token:{tid}"),
            "jeton révoqué",
            now,
        )
        .await?;
    Ok(Redirect::to("/admin?ok=revoque").into_response())
}

pub async fn journal(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
) -> Result<Response, AppError> {
    let rows = st
        .store
        .audit_log(None, 300)
        .await?
        .into_iter()
        .map(|a| vec![format_time(a.at), a.actor, a.action, a.subject, a.detail])
        .collect();
    TablePage {
        title: "Journal des accès aux données personnelles".into(),
        intro: vec![
            "Chaque lecture, modification, export ou effacement des données d'une personne.".into(),
        ],
        links: vec![("/admin".into(), "Administration".into())],
        headers: vec!["Quand", "Qui", "Action", "Sujet", "Détail"],
        rows,
        empty: "Rien pour l'instant.",
        forms: vec![],
        csrf: ident.csrf().to_string(),
    }
    .respond()
}

// --- The employer's space -------------------------------------------------------------------

fn employer_of(ident: &Identity) -> Result<dklik_domain::EmployerId, AppError> {
    me(ident)?.employer_id.ok_or(AppError::NotFound)
}

/// One of the employer's own offers. Another employer's offer is answered exactly like an
/// unknown code, so that its existence is not revealed.
pub async fn employer_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let eid = employer_of(&ident)?;
    let code = dklik_domain::ShortCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let o = st
        .store
        .offer_by_code(&code)
        .await?
        .filter(|o| o.employer_id == eid)
        .ok_or(AppError::NotFound)?;
    TablePage {
        title: o.title.clone(),
        intro: vec![],
        links: vec![
            ("/entreprise".into(), "Toutes mes offres".into()),
            (
                format!("/entreprise/offres/{}/competences", o.code),
                "Les compétences demandées".into(),
            ),
        ],
        headers: vec!["Information", "Valeur"],
        rows: vec![
            vec!["Code".into(), o.code.to_string()],
            vec!["État".into(), o.status.label_fr().into()],
            vec!["Postes ouverts".into(), o.positions.to_string()],
            vec!["Lieu".into(), o.site.commune.clone()],
            vec!["Compétences demandées".into(), o.items.len().to_string()],
        ],
        empty: "",
        forms: vec![],
        csrf: ident.csrf().to_string(),
    }
    .respond()
}

/// For screens and feed senders: checks their token.
/// Who an API token is.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct WhoAmI {
    /// The token's role.
    #[schemars(extend("enum" = ["screen", "feed", "admin"]))]
    pub role: Option<&'static str>,
}

pub async fn whoami(Extension(ident): Extension<Identity>) -> Json<WhoAmI> {
    Json(WhoAmI {
        role: ident.role().map(|r| r.as_str()),
    })
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN, ADVISORS, DEVICES, EMPLOYER, STAFF};
    use crate::routes::{get, post};
    vec![
        get("/api/v1/whoami", Who::Roles(DEVICES), whoami).doc(
            crate::openapi::Op::new(
                "whoami",
                "Le rôle du jeton d'API envoyé (écran ou flux de positions)",
            )
            .answer::<WhoAmI>(200, "Le rôle"),
        ),
        get("/conseil/doublons", Who::Roles(ADVISORS), duplicates),
        post(
            "/conseil/personnes/{id}/fusion",
            Who::Roles(ADVISORS),
            merge,
        ),
        get("/conseil/demandes", Who::Roles(STAFF), inbox),
        get("/conseil/demandes/{id}", Who::Roles(STAFF), interest),
        post("/conseil/demandes/{id}/etat", Who::Roles(STAFF), set_status),
        post(
            "/conseil/demandes/{id}/attribuer",
            Who::Roles(STAFF),
            assign,
        ),
        get(
            "/conseil/personnes/{id}/export",
            Who::Roles(ADVISORS),
            export_person,
        ),
        post(
            "/conseil/personnes/{id}/effacer",
            Who::Roles(ADVISORS),
            erase_person,
        ),
        get("/admin", Who::Roles(ADMIN), admin),
        get("/admin/journal", Who::Roles(ADMIN), journal),
        post("/admin/comptes", Who::Roles(ADMIN), create_account),
        post("/admin/jetons", Who::Roles(ADMIN), create_token),
        post(
            "/admin/jetons/{id}/revoquer",
            Who::Roles(ADMIN),
            revoke_token,
        ),
        get(
            "/entreprise/offres/{code}",
            Who::Roles(EMPLOYER),
            employer_offer,
        ),
    ]
}
