//! The advisors' inbox of call-back requests, and its daily reminder.

use crate::store::{InboxFilter, Store, StoreError};
use dklik_domain::{InterestStatus, Role, User};

/// Who did something, in words, for the audit log.
pub fn actor_label(u: &User) -> String {
    format!("{} ({})", u.display_name, u.role.label_fr().to_lowercase())
}

/// Assigns a request to an advisor (or to nobody); recorded in the audit log.
pub async fn assign(
    store: &dyn Store,
    by: &User,
    id: i64,
    to: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    if let Some(uid) = to {
        let target = store.user(uid).await?.ok_or(StoreError::NotFound)?;
        if !target.role.is_staff() || target.disabled {
            return Err(StoreError::Conflict(
                "Une demande se confie à un conseiller ou à l'équipe mobile.".into(),
            ));
        }
    }
    store.assign_interest(id, to, now).await?;
    store
        .add_audit(
            Some(by.id),
            &actor_label(by),
            "update",
            &format!("interest:{id}"),
            &format!("confiée à {to:?}"),
            now,
        )
        .await
}

/// How the programme answers a person: the text sender, and its number for texts back when
/// there is one (`serve --sms-number`).
#[derive(Clone, Copy)]
pub struct Answering<'a> {
    /// Texts go through it.
    pub sms: &'a dyn crate::orientation::SmsSender,
    /// The programme's number, as shown.
    pub number: Option<&'a str>,
}

/// Moves a request along its workflow; recorded in the audit log. A person who could not be
/// reached is told so, by text or e-mail as they chose, with the way to answer.
pub async fn set_status(
    store: &dyn Store,
    answering: Answering<'_>,
    by: &User,
    id: i64,
    status: InterestStatus,
    now: i64,
) -> Result<(), StoreError> {
    let before = store.interest(id).await?.ok_or(StoreError::NotFound)?;
    store.set_interest_status(id, status, now).await?;
    if status == InterestStatus::Unreachable && before.interest.status != status {
        tell_unreachable(store, answering, &before, now).await?;
    }
    if matches!(status, InterestStatus::Contacted | InterestStatus::FollowUp) {
        if let Some(row) = store.interest(id).await? {
            let i = row.interest;
            let mut counts = crate::skills::Counts::stage(dklik_domain::impact::Stage::Contacted);
            counts.offer_id = i.offer_id;
            crate::skills::record_counted(
                store,
                i.person_id,
                crate::skills::Step {
                    kind: "interest",
                    channel: "conseiller",
                    summary: &format!("Demande de rappel : {}", status.label_fr()),
                    reference: &format!("interest:{id}"),
                },
                counts,
                &actor_label(by),
                now,
            )
            .await?;
        }
    }
    store
        .add_audit(
            Some(by.id),
            &actor_label(by),
            "update",
            &format!("interest:{id}"),
            &format!("état : {}", status.as_str()),
            now,
        )
        .await
}

/// The answer to a request whose person could not be reached.
async fn tell_unreachable(
    store: &dyn Store,
    answering: Answering<'_>,
    row: &crate::store::InboxRow,
    now: i64,
) -> Result<(), StoreError> {
    let i = &row.interest;
    let Some(p) = store.person(i.person_id).await? else {
        return Ok(());
    };
    let about = match &row.offer_title {
        Some(t) => format!(" pour l'offre « {t} »"),
        None => String::new(),
    };
    let hello = match p.first_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("Bonjour {n}, "),
        None => "Bonjour, ".to_string(),
    };
    let back = match answering.number {
        Some(n) => format!(" Vous pouvez aussi écrire au {n} quand vous êtes disponible."),
        None => String::new(),
    };
    let body = format!(
        "{hello}un conseiller DKLIK a essayé de vous appeler{about}, sans vous joindre. Il rappellera.{back} DKLIK"
    );
    crate::orientation::Contacts {
        email: p.email.as_deref(),
        phone: p.phone.as_deref(),
        contact_by: p.contact_by.as_deref(),
    }
    .tell(
        store,
        answering.sms,
        "DKLIK : nous avons essayé de vous appeler",
        &body,
        now,
    )
    .await
}

/// Once a day: each advisor and mobile-team member gets an email listing their overdue
/// requests, and advisors also the unassigned ones. Several servers may call it: the day is
/// claimed first, so it runs once. Returns the number of emails queued.
pub async fn daily_reminders(
    store: &dyn Store,
    today: time::Date,
    base_url: &str,
    now: i64,
) -> Result<u32, StoreError> {
    if !store.claim_job_run("daily_reminders", today).await? {
        return Ok(0);
    }
    let unassigned_overdue = store
        .inbox(&InboxFilter {
            unassigned: true,
            overdue_on: Some(today),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let mut queued = 0;
    for u in store.users().await? {
        if u.disabled || !matches!(u.role, Role::Advisor | Role::MobileTeam) {
            continue;
        }
        let mine = store
            .inbox(&InboxFilter {
                assigned_to: Some(u.id),
                overdue_on: Some(today),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        let unassigned = if u.role == Role::Advisor {
            unassigned_overdue.len()
        } else {
            0
        };
        if mine.is_empty() && unassigned == 0 {
            continue;
        }
        let mut body = format!("Bonjour {},\n\n", u.display_name);
        if !mine.is_empty() {
            body.push_str(&format!(
                "{} personne(s) attendent votre appel depuis plus de 2 jours ouvrés :\n",
                mine.len()
            ));
            for r in &mine {
                body.push_str(&format!(
                    "- {} ({}), demande n° {}\n",
                    if r.interest.first_name.is_empty() {
                        "?"
                    } else {
                        &r.interest.first_name
                    },
                    r.offer_title.as_deref().unwrap_or("sans offre"),
                    r.interest.id
                ));
            }
            body.push('\n');
        }
        if unassigned > 0 {
            body.push_str(&format!(
                "{unassigned} demande(s) en retard ne sont confiées à personne.\n\n"
            ));
        }
        body.push_str(&format!(
            "Ouvrir la liste : {base_url}/conseil/demandes?retard=1\n"
        ));
        store
            .enqueue_mail(
                &u.email,
                "DKLIK : des personnes attendent votre appel",
                &body,
                now,
            )
            .await?;
        queued += 1;
    }
    Ok(queued)
}

/// The overdue-request filter of the inbox page, for a given day.
pub fn is_overdue(status: InterestStatus, due: Option<time::Date>, today: time::Date) -> bool {
    status.awaits_call() && due.is_some_and(|d| d < today)
}
