//! GDPR by design: export, erasure, retention, and the audit of every read of a person.

use crate::store::{Store, StoreError};
use dklik_domain::privacy::PersonId;
use serde_json::json;

/// People inactive for this many months are anonymised (configurable; 24 by default).
pub const DEFAULT_RETENTION_MONTHS: u32 = 24;

/// Everything DKLIK holds about a person, as JSON. Recorded in the audit log.
pub async fn export_person(
    store: &dyn Store,
    person_id: PersonId,
    actor_user_id: Option<i64>,
    actor: &str,
    now: i64,
) -> Result<serde_json::Value, StoreError> {
    let person = store.person(person_id).await?.ok_or(StoreError::NotFound)?;
    let consents = store.consents(person_id).await?;
    let interests = store.person_interests(person_id).await?;
    let subject = format!("person:{person_id}");
    let audit = store.audit_log(Some(&subject), 1000).await?;
    let record = store.person_profile(person_id).await?;
    let skills = store.skill_evidence(person_id).await?;
    let endorsements = store.endorsements(person_id).await?;
    let tests = store.test_results(person_id).await?;
    let activities = store.activities(person_id).await?;
    let journey = store.journey(person_id).await?;
    store
        .add_audit(actor_user_id, actor, "export", &subject, "export JSON", now)
        .await?;
    Ok(json!({
        "format": "dklik-export-personne-1",
        "exported_at": now,
        "person": person,
        "consents": consents,
        "interests": interests,
        "record": record,
        "skills": skills,
        "endorsements": endorsements,
        "test_results": tests,
        "observed_activities": activities,
        "journey": journey,
        "reads_and_changes": audit,
    }))
}

/// Removes a person's personal fields; anonymous figures (requests, channels, dates) stay.
pub async fn erase_person(
    store: &dyn Store,
    person_id: PersonId,
    actor_user_id: Option<i64>,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    store.erase_person(person_id, now).await?;
    store
        .add_audit(
            actor_user_id,
            actor,
            "erase",
            &format!("person:{person_id}"),
            "données personnelles effacées",
            now,
        )
        .await
}

/// Anonymises every person inactive for `months`. Returns how many were anonymised.
pub async fn retention_job(store: &dyn Store, months: u32, now: i64) -> Result<u32, StoreError> {
    // An average month: 365.2425 / 12 days.
    let before = now - (f64::from(months) * 30.436_875 * 86_400.0) as i64;
    let mut n = 0;
    for id in store.inactive_people(before).await? {
        erase_person(store, id, None, "tâche de rétention", now).await?;
        n += 1;
    }
    Ok(n)
}

/// Records that someone read a person's data.
/// Merges two records of one person: everything of `other` goes to `keep`, `other` is
/// emptied, and the journal says who merged what (on both records).
pub async fn merge_people(
    store: &dyn Store,
    keep: PersonId,
    other: PersonId,
    actor_user_id: Option<i64>,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    store.merge_people(keep, other, now).await?;
    for (subject, detail) in [
        (keep, format!("fiche n° {other} fusionnée dans celle-ci")),
        (other, format!("fusionnée dans la fiche n° {keep}")),
    ] {
        store
            .add_audit(
                actor_user_id,
                actor,
                "merge",
                &format!("person:{subject}"),
                &detail,
                now,
            )
            .await?;
    }
    Ok(())
}

/// Records how a person wants messages and whether they want information texts, as the
/// person chose or as an advisor recorded it, with a line in the audit journal. `contact_by`
/// as typed: "sms", "email", or "" for both; anything else is refused in French.
pub async fn set_message_choice(
    store: &dyn Store,
    person: PersonId,
    contact_by: &str,
    sms_news: bool,
    actor_user_id: Option<i64>,
    actor: &str,
    now: i64,
) -> Result<(), ChoiceError> {
    let contact_by = match contact_by.trim() {
        "" => None,
        "sms" => Some("sms"),
        "email" => Some("email"),
        _ => return Err(ChoiceError::Invalid("Choisissez SMS, e-mail, ou les deux.")),
    };
    let p = store
        .person(person)
        .await?
        .filter(|p| p.anonymised_at.is_none())
        .ok_or(StoreError::NotFound)?;
    let mobile = p
        .phone
        .as_deref()
        .is_some_and(|ph| dklik_domain::sms::international(ph).is_some());
    if (contact_by == Some("sms") || sms_news) && !mobile {
        return Err(ChoiceError::Invalid(
            "Pas de numéro de portable dans le dossier : les SMS ne sont pas possibles.",
        ));
    }
    if contact_by == Some("email") && p.email.is_none() {
        return Err(ChoiceError::Invalid(
            "Pas d'adresse e-mail dans le dossier : choisissez les SMS.",
        ));
    }
    store
        .set_message_choice(person, contact_by, sms_news, now)
        .await?;
    store
        .add_audit(
            actor_user_id,
            actor,
            "change",
            &format!("person:{person}"),
            &format!(
                "messages : {}, SMS d'information : {}",
                contact_by.unwrap_or("les deux"),
                if sms_news { "oui" } else { "non" }
            ),
            now,
        )
        .await?;
    Ok(())
}

/// Why a choice of messages was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    /// In French, for the form.
    #[error("{0}")]
    Invalid(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes that someone read a person's data.
pub async fn audit_read(
    store: &dyn Store,
    actor_user_id: Option<i64>,
    actor: &str,
    subject: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    store
        .add_audit(actor_user_id, actor, "read", subject, detail, now)
        .await
}
