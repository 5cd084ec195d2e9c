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

/// Moves a request along its workflow; recorded in the audit log.
pub async fn set_status(
    store: &dyn Store,
    by: &User,
    id: i64,
    status: InterestStatus,
    now: i64,
) -> Result<(), StoreError> {
    store.set_interest_status(id, status, now).await?;
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
