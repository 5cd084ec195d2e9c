//! OrientaKlik use cases: the catalogue and its sessions, registrations (by the person without
//! an account, or by an advisor) with the waiting list, reminders the day before (email and
//! SMS), attendance and the before/after survey, events and their calendar, and the contacts
//! mobile teams record. Every registration, attendance and contact goes to the timeline.

use crate::orientation_store::{Contact, OutreachContact, Registrant, Registration};
use crate::skills::{record_counted, record_step, Counts, Step};
use crate::store::{Store, StoreError};
use async_trait::async_trait;
use dklik_domain::calendar::parse_day;
use dklik_domain::impact::Stage;
use dklik_domain::orientation::{
    Event, EventKind, Need, NextStep, OrientationService, OutreachChannel, OutreachPlace,
    PlaceKind, RegistrationStatus, ServiceKind,
};
use dklik_domain::privacy::PersonId;
use dklik_domain::EmployerId;
use dklik_domain::SessionId;
use dklik_domain::{RomeCode, TimeOfDay, ValidationError};
use std::path::PathBuf;

/// Why an OrientaKlik action failed.
#[derive(Debug, thiserror::Error)]
pub enum OrientationError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ValidationError> for OrientationError {
    fn from(v: ValidationError) -> Self {
        Self::Invalid(v)
    }
}

fn invalid(field: &str, m: impl Into<String>) -> OrientationError {
    OrientationError::Invalid(ValidationError::single(field, m))
}

/// Consent of someone registering to an activity or an event, or met by a mobile team.
pub const PURPOSE_ORIENTATION: &str = "orientation";
/// The version of the registration consent.
pub const ORIENTATION_CONSENT_VERSION: &str = "orientation-2026-11";
/// The registration consent's wording.
pub const ORIENTATION_CONSENT_TEXT: &str = "J'accepte que DKLIK garde mon prénom et mon contact pour m'inscrire, me rappeler la date la veille et me prévenir d'un changement.";

/// Sends a text message; pluggable (a folder for the demo, an operator's gateway in service).
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends one text message.
    async fn send(&self, to: &str, text: &str) -> Result<(), String>;
}

/// Writes each text message to a file (the demo, and tests).
pub struct FolderSms {
    /// The folder the messages are written to.
    pub dir: PathBuf,
}

#[async_trait]
impl SmsSender for FolderSms {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let (dir, to, text) = (self.dir.clone(), to.to_string(), text.to_string());
        tokio::task::spawn_blocking(move || crate::sms::write_to_folder(&dir, &to, &text))
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
    }
}

/// A service of the catalogue, as typed by the team.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    /// Name.
    pub nom: String,
    /// Kind of service.
    pub type_service: String,
    /// Who it is for.
    pub public: String,
    /// What happens there.
    pub description: String,
    /// Length in minutes.
    pub duree: String,
    /// Kind of place.
    pub type_lieu: String,
    /// The place.
    pub lieu: String,
    /// What to bring.
    pub materiel: String,
    /// Places per session.
    pub capacite: String,
    /// Who runs it.
    pub porteur: String,
    /// ROME codes separated by spaces or commas.
    pub metiers: String,
}

fn text(errs: &mut ValidationError, field: &str, v: &str, max: usize, what: &str) -> String {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        errs.push(
            field,
            format!("Indiquez {what} ({max} caractères au plus)."),
        );
    }
    t.to_string()
}

/// Checks the form and adds the service.
pub async fn create_service(
    store: &dyn Store,
    f: &ServiceForm,
    now: i64,
) -> Result<i64, OrientationError> {
    let mut errs = ValidationError::default();
    let name = text(&mut errs, "nom", &f.nom, 120, "le nom du service");
    let kind = errs.check("type_service", ServiceKind::parse(&f.type_service));
    let audience = text(&mut errs, "public", &f.public, 200, "pour qui c'est");
    let description = text(
        &mut errs,
        "description",
        &f.description,
        2000,
        "la description",
    );
    let duration = match f.duree.trim().parse::<u32>() {
        Ok(d) if (10..=5 * 24 * 60).contains(&d) => Some(d),
        _ => {
            errs.push("duree", "La durée est un nombre de minutes (10 à 7 200).");
            None
        }
    };
    let place_kind = errs.check("type_lieu", PlaceKind::parse(&f.type_lieu));
    let place = text(&mut errs, "lieu", &f.lieu, 200, "le lieu");
    let capacity = match f.capacite.trim().parse::<u32>() {
        Ok(c) if (1..=500).contains(&c) => Some(c),
        _ => {
            errs.push(
                "capacite",
                "La capacité est un nombre de personnes (1 à 500).",
            );
            None
        }
    };
    let provider = text(&mut errs, "porteur", &f.porteur, 120, "qui le propose");
    let mut trades = Vec::new();
    for w in f
        .metiers
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        match RomeCode::parse(w) {
            Ok(c) => trades.push(c),
            Err(m) => errs.push("metiers", m),
        }
    }
    if trades.is_empty() {
        errs.push(
            "metiers",
            "Indiquez au moins un métier (code ROME, par exemple H2913).",
        );
    } else {
        let known = store.rome_jobs(&trades).await?;
        for t in &trades {
            if !known.iter().any(|j| &j.code == t) {
                errs.push("metiers", format!("Le code ROME {t} n'existe pas."));
            }
        }
    }
    errs.clone().into_result()?;
    let (Some(kind), Some(duration_min), Some(place_kind), Some(capacity)) =
        (kind, duration, place_kind, capacity)
    else {
        return Err(errs.into());
    };
    match store
        .create_service(
            &OrientationService {
                id: 0,
                name,
                kind,
                audience,
                description,
                duration_min,
                place_kind,
                place,
                equipment: f.materiel.trim().chars().take(300).collect(),
                capacity,
                provider,
                trades,
                fictional: false,
            },
            now,
        )
        .await
    {
        Err(StoreError::Conflict(m)) => Err(invalid("nom", m)),
        other => Ok(other?),
    }
}

/// A session: a day, an hour (Europe/Paris), the service's duration, a place and a capacity
/// (the service's by default).
pub async fn create_session(
    store: &dyn Store,
    service_id: i64,
    day: &str,
    hour: &str,
    place: &str,
    capacity: &str,
    now: i64,
) -> Result<SessionId, OrientationError> {
    let s = store
        .service(service_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errs = ValidationError::default();
    let d = errs.check("jour", parse_day(day));
    let h = errs.check("heure", TimeOfDay::parse(hour));
    let place = if place.trim().is_empty() {
        s.place.clone()
    } else {
        place.trim().chars().take(200).collect()
    };
    let capacity = if capacity.trim().is_empty() {
        Some(s.capacity)
    } else {
        match capacity.trim().parse::<u32>() {
            Ok(c) if (1..=500).contains(&c) => Some(c),
            _ => {
                errs.push("places", "Le nombre de places va de 1 à 500.");
                None
            }
        }
    };
    errs.clone().into_result()?;
    let (Some(d), Some(h), Some(capacity)) = (d, h, capacity) else {
        return Err(errs.into());
    };
    let starts = crate::paris_instant(d, h.minutes());
    if starts <= now {
        return Err(invalid("jour", "Cette date est passée."));
    }
    Ok(store
        .create_orientation_session(
            service_id,
            starts,
            starts + i64::from(s.duration_min) * 60,
            &place,
            capacity,
            now,
        )
        .await?)
}

/// Someone's name and contact, as typed on a public form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactForm {
    /// First name.
    pub prenom: String,
    /// Phone.
    pub telephone: String,
    /// E-mail.
    pub email: String,
    /// "oui" when the consent box is ticked.
    pub consentement: String,
}

/// Checks a contact form: a first name, a phone or an email, and the consent.
pub fn check_contact(f: &ContactForm) -> Result<Contact, ValidationError> {
    let form = dklik_domain::InterestForm {
        first_name: f.prenom.clone(),
        phone: f.telephone.clone(),
        email: f.email.clone(),
        best_time: "indifferent".into(),
        consent: f.consentement == "oui",
    };
    let i = dklik_domain::NewInterest::from_form(&form, None, dklik_domain::Channel::Website, "")?;
    Ok(Contact {
        first_name: i.first_name,
        phone: i.phone,
        email: i.email,
        purpose: PURPOSE_ORIENTATION.into(),
        consent_version: ORIENTATION_CONSENT_VERSION.into(),
    })
}

fn when_fr(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t)
        .map(|t| t.to_offset(crate::now_paris().offset()))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "le {:02}/{:02}/{} à {}h{:02}",
        d.day(),
        u8::from(d.month()),
        d.year(),
        d.hour(),
        d.minute()
    )
}

/// Registers a person to a session and tells them where they stand, the way they chose.
async fn register_person(
    store: &dyn Store,
    sms: &dyn SmsSender,
    session: SessionId,
    who: Registrant<'_>,
    channel: &str,
    actor: &str,
    now: i64,
) -> Result<RegistrationStatus, OrientationError> {
    let s = store
        .orientation_session(session)
        .await?
        .ok_or(StoreError::NotFound)?;
    let registered = match who {
        Registrant::Person(p) => store
            .register(session, p, channel, now)
            .await
            .map(|(id, status)| (id, status, p)),
        Registrant::Contact(c) => store.register_contact(session, c, channel, now).await,
    };
    let (id, status, person_id) = match registered {
        Err(StoreError::Conflict(m)) => return Err(invalid("seance", m)),
        other => other?,
    };
    record_counted(
        store,
        person_id,
        Step {
            kind: "orientation",
            channel,
            summary: &format!(
                "OrientaKlik : {} – {} ({})",
                s.service_name,
                when_fr(s.starts_at),
                status.label_fr()
            ),
            reference: &format!("registration:{id}"),
        },
        Counts::stage(Stage::Orientation),
        actor,
        now,
    )
    .await?;
    if let Some(p) = store.person(person_id).await? {
        let name = p.first_name.clone().unwrap_or_default();
        let body = match status {
            RegistrationStatus::Waiting => format!(
                "Bonjour {name}, la séance « {} » {} est complète : vous êtes sur la liste d'attente. Si une place se libère, elle est pour vous et nous vous prévenons. DKLIK",
                s.service_name,
                when_fr(s.starts_at)
            ),
            RegistrationStatus::Registered
            | RegistrationStatus::Cancelled
            | RegistrationStatus::Present
            | RegistrationStatus::Absent => format!(
                "Bonjour {name}, vous êtes inscrit(e) à « {} » {}, {}. Nous vous le rappellerons la veille. DKLIK",
                s.service_name,
                when_fr(s.starts_at),
                s.place
            ),
        };
        Contacts {
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            contact_by: p.contact_by.as_deref(),
        }
        .tell(store, sms, "Votre inscription OrientaKlik", &body, now)
        .await?;
    }
    Ok(status)
}

/// Registration by the person, without an account.
pub async fn register_public(
    store: &dyn Store,
    sms: &dyn SmsSender,
    session: SessionId,
    f: &ContactForm,
    now: i64,
) -> Result<RegistrationStatus, OrientationError> {
    let s = store
        .orientation_session(session)
        .await?
        .ok_or(StoreError::NotFound)?;
    if s.cancelled {
        return Err(invalid("seance", "Cette séance est annulée."));
    }
    if s.starts_at <= now {
        return Err(invalid("seance", "Cette séance a déjà eu lieu."));
    }
    let c = check_contact(f)?;
    register_person(
        store,
        sms,
        session,
        Registrant::Contact(&c),
        "orientaklik",
        "la personne elle-même",
        now,
    )
    .await
}

/// Registration by an advisor, for a person they follow.
pub async fn register_by_advisor(
    store: &dyn Store,
    sms: &dyn SmsSender,
    session: SessionId,
    person_id: PersonId,
    actor: &str,
    now: i64,
) -> Result<RegistrationStatus, OrientationError> {
    let p = store.person(person_id).await?;
    if p.is_none_or(|p| p.anonymised_at.is_some()) {
        return Err(invalid(
            "personne",
            "Personne inconnue : indiquez le numéro de son dossier.",
        ));
    }
    register_person(
        store,
        sms,
        session,
        Registrant::Person(person_id),
        "conseiller",
        actor,
        now,
    )
    .await
}

async fn tell(
    store: &dyn Store,
    sms: &dyn SmsSender,
    r: &Registration,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<(), StoreError> {
    let to = Contacts {
        email: r.email.as_deref(),
        phone: r.phone.as_deref(),
        contact_by: r.contact_by.as_deref(),
    };
    to.tell(store, sms, subject, body, now).await
}

/// A person's contacts and how they want messages.
pub struct Contacts<'a> {
    /// The e-mail address, if any.
    pub email: Option<&'a str>,
    /// The phone, if any (a text goes only to a mobile).
    pub phone: Option<&'a str>,
    /// "sms", "email", or none for both.
    pub contact_by: Option<&'a str>,
}

impl Contacts<'_> {
    /// Sends a message the way the person chose ([`dklik_domain::privacy::message_routes`]):
    /// queued as an e-mail, handed to the text sender, or both.
    pub async fn tell(
        &self,
        store: &dyn Store,
        sms: &dyn SmsSender,
        subject: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mobile = self
            .phone
            .filter(|p| dklik_domain::sms::international(p).is_some());
        let (by_mail, by_text) = dklik_domain::privacy::message_routes(
            self.contact_by,
            self.email.is_some(),
            mobile.is_some(),
        );
        if let (true, Some(e)) = (by_mail, self.email) {
            store.enqueue_mail(e, subject, body, now).await?;
        }
        if let (true, Some(p)) = (by_text, mobile) {
            if let Err(e) = sms.send(p, body).await {
                tracing::warn!("SMS : {}", dklik_domain::privacy::redact(&e.to_string()));
            }
        }
        Ok(())
    }
}

/// Cancels one registration; the first waiting person gets the place and is told.
pub async fn cancel_registration(
    store: &dyn Store,
    sms: &dyn SmsSender,
    id: i64,
    actor: &str,
    now: i64,
) -> Result<Option<i64>, OrientationError> {
    let r = store.registration(id).await?.ok_or(StoreError::NotFound)?;
    let s = store
        .orientation_session(r.session_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let promoted = store.cancel_registration(id, now).await?;
    record_step(
        store,
        r.person_id,
        Step {
            kind: "orientation",
            channel: "conseiller",
            summary: &format!("OrientaKlik : inscription annulée ({})", s.service_name),
            reference: &format!("registration:{id}"),
        },
        actor,
        now,
    )
    .await?;
    if let Some(p) = promoted {
        if let Some(pr) = store.registration(p).await? {
            let body = format!(
                "Bonjour {}, une place s'est libérée : vous êtes inscrit(e) à « {} » {}, {}. DKLIK",
                pr.first_name,
                s.service_name,
                when_fr(s.starts_at),
                s.place
            );
            tell(store, sms, &pr, "Une place s'est libérée", &body, now).await?;
            record_step(
                store,
                pr.person_id,
                Step {
                    kind: "orientation",
                    channel: "liste_attente",
                    summary: &format!(
                        "OrientaKlik : place obtenue depuis la liste d'attente ({})",
                        s.service_name
                    ),
                    reference: &format!("registration:{p}"),
                },
                "DKLIK",
                now,
            )
            .await?;
        }
    }
    Ok(promoted)
}

/// Cancels a session and tells everyone who was registered or waiting.
pub async fn cancel_session(
    store: &dyn Store,
    sms: &dyn SmsSender,
    id: SessionId,
    actor: &str,
    now: i64,
) -> Result<usize, OrientationError> {
    let s = store
        .orientation_session(id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let people = match store.cancel_orientation_session(id, now).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("seance", m)),
        other => other?,
    };
    for r in &people {
        let body = format!(
            "Bonjour {}, la séance « {} » {} est annulée. Nous vous proposerons une autre date. DKLIK",
            r.first_name,
            s.service_name,
            when_fr(s.starts_at)
        );
        tell(store, sms, r, "Séance annulée", &body, now).await?;
        record_step(
            store,
            r.person_id,
            Step {
                kind: "orientation",
                channel: "conseiller",
                summary: &format!(
                    "OrientaKlik : séance annulée ({}), prévenu(e)",
                    s.service_name
                ),
                reference: &format!("registration:{}", r.id),
            },
            actor,
            now,
        )
        .await?;
    }
    Ok(people.len())
}

/// Marks someone present or absent.
pub async fn set_attendance(
    store: &dyn Store,
    id: i64,
    present: bool,
    actor: &str,
    now: i64,
) -> Result<(), OrientationError> {
    let r = store.registration(id).await?.ok_or(StoreError::NotFound)?;
    let status = if present {
        RegistrationStatus::Present
    } else {
        RegistrationStatus::Absent
    };
    match store.set_registration_status(id, status, now).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("presence", m)),
        other => other?,
    }
    record_counted(
        store,
        r.person_id,
        Step {
            kind: "orientation",
            channel: "conseiller",
            summary: &format!("OrientaKlik : {}", status.label_fr()),
            reference: &format!("registration:{id}"),
        },
        if present {
            Counts::stage(Stage::OrientationPresent)
        } else {
            Counts::default()
        },
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// The before/after answers; "after" only for someone who came.
pub async fn save_survey(
    store: &dyn Store,
    id: i64,
    after: bool,
    answers: &[String],
    now: i64,
) -> Result<(), OrientationError> {
    let r = store.registration(id).await?.ok_or(StoreError::NotFound)?;
    let a = dklik_domain::orientation::parse_survey(answers)?;
    if after && r.status != RegistrationStatus::Present {
        return Err(invalid(
            "q1",
            "Le questionnaire « après » est pour les personnes venues à la séance.",
        ));
    }
    store.save_survey(id, after, a, now).await?;
    Ok(())
}

/// How people see the trade before and after, per service.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SurveyChange {
    /// The service.
    pub service_id: i64,
    /// The service's name.
    pub service: String,
    /// People who answered both.
    pub pairs: u32,
    /// Mean answer before and after, per question.
    pub before: [f64; 3],
    /// Mean answer after, per question.
    pub after: [f64; 3],
}

/// Mean change per service and question, from the before/after answers.
pub async fn survey_changes(store: &dyn Store) -> Result<Vec<SurveyChange>, StoreError> {
    let mut out: Vec<SurveyChange> = Vec::new();
    for p in store.survey_pairs().await? {
        let (Some(b), Some(a)) = (p.before, p.after) else {
            continue;
        };
        let e = match out.iter_mut().position(|c| c.service_id == p.service_id) {
            Some(i) => &mut out[i],
            None => {
                out.push(SurveyChange {
                    service_id: p.service_id,
                    service: p.service.clone(),
                    pairs: 0,
                    before: [0.0; 3],
                    after: [0.0; 3],
                });
                let n = out.len() - 1;
                &mut out[n]
            }
        };
        e.pairs += 1;
        for i in 0..3 {
            e.before[i] += f64::from(b[i]);
            e.after[i] += f64::from(a[i]);
        }
    }
    for c in &mut out {
        for i in 0..3 {
            c.before[i] /= f64::from(c.pairs);
            c.after[i] /= f64::from(c.pairs);
        }
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(out)
}

/// Reminders the day before: every registered person of the sessions and events starting
/// tomorrow (Europe/Paris), by e-mail and/or text as they chose, once.
pub async fn send_reminders(
    store: &dyn Store,
    sms: &dyn SmsSender,
    today: time::Date,
    now: i64,
) -> Result<usize, StoreError> {
    let Some(tomorrow) = today.next_day() else {
        return Ok(0);
    };
    let Some(after) = tomorrow.next_day() else {
        return Ok(0);
    };
    let due = store
        .due_reminders(
            crate::paris_instant(tomorrow, 0),
            crate::paris_instant(after, 0),
        )
        .await?;
    for r in &due {
        let body = format!(
            "Bonjour {}, rappel : « {} » demain {}, {}. En cas d'empêchement, prévenez-nous. DKLIK",
            r.first_name,
            r.service,
            when_fr(r.starts_at).replacen("le ", "", 1),
            r.place
        );
        Contacts {
            email: r.email.as_deref(),
            phone: r.phone.as_deref(),
            contact_by: r.contact_by.as_deref(),
        }
        .tell(
            store,
            sms,
            "Rappel : votre séance OrientaKlik demain",
            &body,
            now,
        )
        .await?;
        store.mark_reminded(r.registration_id, now).await?;
    }
    let events = store
        .due_event_reminders(
            crate::paris_instant(tomorrow, 0),
            crate::paris_instant(after, 0),
        )
        .await?;
    for r in &events {
        let body = format!(
            "Bonjour {}, rappel : « {} » demain {}, {}. Venez avec votre CV si vous en avez un. DKLIK",
            r.first_name,
            r.title,
            when_fr(r.starts_at).replacen("le ", "", 1),
            r.place
        );
        Contacts {
            email: r.email.as_deref(),
            phone: r.phone.as_deref(),
            contact_by: r.contact_by.as_deref(),
        }
        .tell(
            store,
            sms,
            &format!("Rappel : {} demain", r.title),
            &body,
            now,
        )
        .await?;
        store
            .mark_event_reminded(r.event_id, r.person_id, now)
            .await?;
    }
    Ok(due.len() + events.len())
}

/// An event as typed by the team.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EventForm {
    /// Kind of event.
    pub type_evenement: String,
    /// Title.
    pub titre: String,
    /// Description.
    pub description: String,
    /// Day (YYYY-MM-DD).
    pub jour: String,
    /// Start time (HH:MM).
    pub debut: String,
    /// End time (HH:MM).
    pub fin: String,
    /// Place.
    pub lieu: String,
    /// Latitude, if placed.
    pub latitude: String,
    /// Longitude, if placed.
    pub longitude: String,
    /// Offer codes presented, separated by spaces.
    pub offres: String,
    /// Employers taking part.
    pub entreprises: Vec<String>,
}

/// Checks the form and adds the event.
pub async fn create_event(
    store: &dyn Store,
    f: &EventForm,
    now: i64,
) -> Result<(i64, String), OrientationError> {
    let mut errs = ValidationError::default();
    let kind = errs.check("type_evenement", EventKind::parse(&f.type_evenement));
    let title = text(&mut errs, "titre", &f.titre, 120, "le titre");
    let place = text(&mut errs, "lieu", &f.lieu, 200, "le lieu");
    let d = errs.check("jour", parse_day(&f.jour));
    let start = errs.check("debut", TimeOfDay::parse(&f.debut));
    let end = errs.check("fin", TimeOfDay::parse(&f.fin));
    if let (Some(a), Some(b)) = (start, end) {
        if b <= a {
            errs.push("fin", "La fin est avant le début.");
        }
    }
    let coords = match (f.latitude.trim(), f.longitude.trim()) {
        ("", "") => None,
        (la, lo) => match (
            la.replace(',', ".").parse::<f64>(),
            lo.replace(',', ".").parse::<f64>(),
        ) {
            (Ok(la), Ok(lo)) if dklik_domain::Coordinates::new(la, lo).is_ok() => Some((la, lo)),
            _ => {
                errs.push("latitude", "Latitude et longitude en degrés décimaux, par exemple 51.01 et 2.30, ou vides.");
                None
            }
        },
    };
    let mut offers = Vec::new();
    for c in f.offres.split_whitespace() {
        match dklik_domain::ShortCode::parse(c) {
            Ok(code) => match store.offer_by_code(&code).await? {
                Some(o) => offers.push(o.id),
                None => errs.push("offres", format!("Aucune offre n'a le code {code}.")),
            },
            Err(m) => errs.push("offres", m),
        }
    }
    let known: Vec<EmployerId> = store
        .employers()
        .await?
        .into_iter()
        .map(|e| e.employer.id)
        .collect();
    let mut employers = Vec::new();
    for e in &f.entreprises {
        match e.parse::<i64>().map(EmployerId) {
            Ok(id) if known.contains(&id) => employers.push(id),
            _ => errs.push("entreprises", "Entreprise inconnue."),
        }
    }
    errs.clone().into_result()?;
    let (Some(kind), Some(d), Some(start), Some(end)) = (kind, d, start, end) else {
        return Err(errs.into());
    };
    let starts_at = crate::paris_instant(d, start.minutes());
    if starts_at <= now {
        return Err(invalid("jour", "Cette date est passée."));
    }
    Ok(store
        .create_event(
            &Event {
                id: 0,
                code: String::new(),
                kind,
                title,
                description: f.description.trim().chars().take(2000).collect(),
                starts_at,
                ends_at: crate::paris_instant(d, end.minutes()),
                place,
                lat: coords.map(|c| c.0),
                lon: coords.map(|c| c.1),
                cancelled: false,
                employers: vec![],
                offers: vec![],
                registrations: 0,
            },
            &employers,
            &offers,
            now,
        )
        .await?)
}

/// Registration to an event (a Café de l'emploi) by the person.
pub async fn register_event(
    store: &dyn Store,
    code: &str,
    f: &ContactForm,
    now: i64,
) -> Result<(), OrientationError> {
    let e = store
        .event_by_code(code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if e.ends_at <= now {
        return Err(invalid("evenement", "Cet événement est passé."));
    }
    let c = check_contact(f)?;
    let person = match store.register_event_contact(e.id, &c, now).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("evenement", m)),
        other => other?,
    };
    record_counted(
        store,
        person,
        Step {
            kind: "event",
            channel: e.kind.as_str(),
            summary: &format!(
                "{} : {} {}",
                e.kind.label_fr(),
                e.title,
                when_fr(e.starts_at)
            ),
            reference: &format!("event:{}", e.code),
        },
        Counts::stage(Stage::Contact),
        "la personne elle-même",
        now,
    )
    .await?;
    Ok(())
}

/// The mobile team's form, as sent (by the page, or retried by its script).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OutreachForm {
    /// 32 hex characters made by the page; the same submission sent twice counts once.
    pub envoi: String,
    /// Kind of place.
    pub lieu_type: String,
    /// The place.
    pub lieu: String,
    /// How the meeting happened.
    pub canal: String,
    /// How many people.
    pub nombre: String,
    /// Needs ticked.
    pub besoins: Vec<String>,
    /// What happens next.
    pub suite: String,
    /// Notes.
    pub notes: String,
    /// When the person gives a contact and agrees.
    pub prenom: String,
    /// Phone, if given.
    pub telephone: String,
    /// E-mail, if given.
    pub email: String,
    /// "oui" when the person agreed to be recorded.
    pub consentement: String,
}

/// Records a contact; a person who agreed becomes a person record. Returns (id, new).
pub async fn record_outreach(
    store: &dyn Store,
    f: &OutreachForm,
    user_id: i64,
    actor: &str,
    now: i64,
) -> Result<(i64, bool), OrientationError> {
    let mut errs = ValidationError::default();
    let submission = f.envoi.trim().to_ascii_lowercase();
    if submission.len() != 32 || !submission.bytes().all(|b| b.is_ascii_hexdigit()) {
        errs.push("envoi", "Formulaire incomplet : rechargez la page.");
    }
    let place_kind = errs.check("lieu_type", OutreachPlace::parse(&f.lieu_type));
    let place_label = f.lieu.trim().to_string();
    if place_label.is_empty() || place_label.chars().count() > 120 {
        errs.push(
            "lieu",
            "Dites où (quartier, événement, arrêt…), 120 caractères au plus.",
        );
    }
    let channel = errs.check("canal", OutreachChannel::parse(&f.canal));
    let mut needs = Vec::new();
    for n in &f.besoins {
        if let Some(n) = errs.check("besoins", Need::parse(n)) {
            if !needs.contains(&n) {
                needs.push(n);
            }
        }
    }
    let next = errs.check("suite", NextStep::parse(&f.suite));
    let wants_record =
        !f.prenom.trim().is_empty() || !f.telephone.trim().is_empty() || !f.email.trim().is_empty();
    let count = if wants_record {
        Some(1)
    } else {
        match f.nombre.trim().parse::<u32>() {
            Ok(n) if (1..=500).contains(&n) => Some(n),
            _ => {
                errs.push(
                    "nombre",
                    "Combien de personnes (1 à 500) ? Ou bien leur prénom et contact.",
                );
                None
            }
        }
    };
    let contact = if wants_record {
        match check_contact(&ContactForm {
            prenom: f.prenom.clone(),
            telephone: f.telephone.clone(),
            email: f.email.clone(),
            consentement: f.consentement.clone(),
        }) {
            Ok(c) => Some(c),
            Err(v) => {
                errs.errors.extend(v.errors);
                None
            }
        }
    } else {
        None
    };
    if f.notes.chars().count() > 500 {
        errs.push("notes", "Les notes font 500 caractères au plus.");
    }
    errs.clone().into_result()?;
    let (Some(place_kind), Some(channel), Some(next), Some(count)) =
        (place_kind, channel, next, count)
    else {
        return Err(errs.into());
    };
    // The contact, the person with their consent and the step of their path: one
    // transaction, applied once however many times the phone sends it.
    let step = dklik_domain::JourneyEvent {
        id: 0,
        person_id: PersonId(0),
        at: now,
        kind: "outreach".into(),
        channel: "equipe_mobile".into(),
        summary: format!(
            "Rencontre de l'équipe mobile ({}, {}) – suite : {}",
            place_label,
            channel.label_fr(),
            next.label_fr()
        ),
        reference: String::new(),
        actor: actor.into(),
        stage: Stage::Contact.as_str().into(),
        offer_id: None,
        impression: None,
    };
    let (id, new) = store
        .add_outreach(
            &OutreachContact {
                id: 0,
                submission,
                at: now,
                recorded_by: Some(user_id),
                place_kind: place_kind.as_str().into(),
                place_ref: String::new(),
                place_label: place_label.clone(),
                channel: channel.as_str().into(),
                people_count: count,
                person_id: None,
                needs: needs
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                next_step: next.as_str().into(),
                notes: f.notes.trim().into(),
            },
            contact.as_ref(),
            Some(&step),
        )
        .await?;
    Ok((id, new))
}
