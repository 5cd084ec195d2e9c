//! "Toujours d'actualité ?": 14 days after an offer is published, and every 14 days after,
//! its employer's contact gets an e-mail with two links that work without signing in (still
//! open / no longer open), each once, for 14 days; a text message with the same links when
//! only the contact's mobile is known. An offer nobody confirmed within 7 more days
//! is paused and the advisors are told. Run once a day by `crate::jobs`.

use crate::auth;
use crate::employer_store::{CheckAnswer, CheckState, OfferCheck};
use crate::store::{Store, StoreError};
use dklik_domain::{Offer, OfferStatus, Role};

const DAY: i64 = 24 * 3600;
/// Days between two questions about the same offer.
pub const EVERY_DAYS: i64 = 14;
/// How long a question's links work.
pub const LINK_SECONDS: i64 = 14 * DAY;
/// Days without an answer before the offer is paused.
pub const PAUSE_AFTER_DAYS: i64 = 7;
/// Who the daily task is, in offers' histories.
pub const TASK: &str = "tâche quotidienne";

/// What one daily run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckRun {
    /// Questions sent.
    pub sent: usize,
    /// Offers paused for want of an answer.
    pub paused: usize,
}

/// When the next question about an offer is due: 14 days after the latest of its
/// publication, its last republication and its last question.
pub fn next_due(s: &CheckState) -> Option<i64> {
    let published = s.published_on.map(|d| crate::paris_instant(d, 0));
    [published, s.last_published_at, s.last_sent_at]
        .into_iter()
        .flatten()
        .max()
        .map(|t| t + EVERY_DAYS * DAY)
}

/// Sends the questions due and pauses the offers left without an answer, as of `now`.
pub async fn daily(store: &dyn Store, base_url: &str, now: i64) -> Result<CheckRun, StoreError> {
    daily_as_of(store, base_url, now, now).await
}

/// [`daily`] as of another moment than the real one (`dklik check-offers --in-days`, to try
/// it): the e-mails are still queued to leave at `mail_at`, the real now.
pub async fn daily_as_of(
    store: &dyn Store,
    base_url: &str,
    now: i64,
    mail_at: i64,
) -> Result<CheckRun, StoreError> {
    let mut run = CheckRun::default();
    for s in store.check_states().await? {
        if let Some(since) = s.waiting_since {
            if now - since >= PAUSE_AFTER_DAYS * DAY {
                pause(store, &s, now, mail_at).await?;
                run.paused += 1;
            }
            continue;
        }
        let mobile = s
            .phone
            .as_deref()
            .filter(|p| dklik_domain::sms::international(p).is_some());
        let to = match (&s.email, mobile) {
            (Some(e), _) => Asked::Mail(e),
            (None, Some(p)) => Asked::Text(p),
            (None, None) => continue,
        };
        let Some(due) = next_due(&s) else {
            continue;
        };
        if now >= due {
            let Some(offer) = store.offer(s.offer_id).await? else {
                continue;
            };
            send(store, &offer, to, base_url, now, mail_at).await?;
            run.sent += 1;
        }
    }
    Ok(run)
}

/// Where a question goes.
#[derive(Clone, Copy)]
enum Asked<'a> {
    /// The contact's e-mail.
    Mail(&'a str),
    /// The contact's mobile, when no e-mail is known.
    Text(&'a str),
}

async fn send(
    store: &dyn Store,
    offer: &Offer,
    to: Asked<'_>,
    base_url: &str,
    now: i64,
    mail_at: i64,
) -> Result<(), StoreError> {
    let token = auth::random_token().map_err(|e| StoreError::Backend(e.to_string()))?;
    let sent_to = match to {
        Asked::Mail(e) | Asked::Text(e) => e,
    };
    store
        .create_offer_check(
            &auth::token_hash(&token),
            &OfferCheck {
                offer_id: offer.id,
                sent_to: sent_to.to_string(),
                sent_at: now,
                expires_at: now + LINK_SECONDS,
                answered_at: None,
                answer: None,
            },
        )
        .await?;
    let email = match to {
        Asked::Mail(e) => e,
        Asked::Text(phone) => {
            let title: String = if offer.title.chars().count() > 40 {
                format!("{}...", offer.title.chars().take(37).collect::<String>())
            } else {
                offer.title.clone()
            };
            let text = format!(
                "DKLIK : votre offre \"{title}\" ({code}) est-elle toujours à pourvoir ? Oui : {base_url}/offres/suivi/{token}?reponse=oui Non : {base_url}/offres/suivi/{token}?reponse=non (liens valables 14 jours)",
                code = offer.code,
            );
            return match crate::sms::queue(
                store,
                phone,
                &text,
                dklik_domain::sms::Purpose::Transactional,
                None,
                mail_at,
            )
            .await
            {
                Ok(_) => Ok(()),
                Err(crate::sms::QueueError::Store(e)) => Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "question « toujours d'actualité ? » non envoyée par SMS");
                    Ok(())
                }
            };
        }
    };
    let body = format!(
        "Bonjour,\n\nVotre offre « {title} » ({code}, {commune}) est publiée sur DKLIK et sur les écrans des bus.\n\nEst-elle toujours d'actualité ? Un clic suffit, sans mot de passe :\n\n- Oui, le poste est toujours à pourvoir :\n  {base_url}/offres/suivi/{token}?reponse=oui\n\n- Non, le poste est pourvu ou l'offre est annulée :\n  {base_url}/offres/suivi/{token}?reponse=non\n\nSans réponse d'ici 7 jours, l'offre sera mise en pause (retirée du site et des bus) et un conseiller vous contactera. Les liens servent une fois, pendant 14 jours.\n",
        title = offer.title,
        code = offer.code,
        commune = offer.site.commune,
    );
    store
        .enqueue_mail(
            email,
            &format!(
                "DKLIK : « {} » est-elle toujours d'actualité ?",
                offer.title
            ),
            &body,
            mail_at,
        )
        .await?;
    Ok(())
}

async fn pause(
    store: &dyn Store,
    s: &CheckState,
    now: i64,
    mail_at: i64,
) -> Result<(), StoreError> {
    match store
        .answer_offer_check(
            None,
            s.offer_id,
            CheckAnswer::Paused,
            crate::today_paris(),
            TASK,
            now,
        )
        .await
    {
        // Changed meanwhile (closed by someone): nothing to pause.
        Err(StoreError::Conflict(_)) => return Ok(()),
        other => other?,
    }
    let Some(offer) = store.offer(s.offer_id).await? else {
        return Ok(());
    };
    let users = store.users().await?;
    let advisors: Vec<_> = users
        .iter()
        .filter(|u| !u.disabled && u.role == Role::Advisor)
        .collect();
    let to: Vec<_> = if advisors.is_empty() {
        users
            .iter()
            .filter(|u| !u.disabled && u.role == Role::Admin)
            .collect()
    } else {
        advisors
    };
    let body = format!(
        "Bonjour,\n\nL'offre « {} » de {} ({}) est mise en pause : l'entreprise n'a pas confirmé depuis 7 jours qu'elle est toujours d'actualité. Elle n'est plus sur le site ni sur les bus.\n\nAppelez l'entreprise, puis publiez l'offre de nouveau ou fermez-la depuis sa fiche : /conseil/entreprises/{}\n",
        offer.title, offer.employer_name, offer.code, offer.employer_id.0
    );
    for u in to {
        store
            .enqueue_mail(
                &u.email,
                &format!("DKLIK : offre {} mise en pause", offer.code),
                &body,
                mail_at,
            )
            .await?;
    }
    Ok(())
}

/// Why a question's link was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Unknown, answered or past its 14 days.
    #[error("Ce lien n'est plus valable : il a déjà servi ou ses 14 jours sont passés. Pour changer l'offre, connectez-vous ou appelez votre conseiller.")]
    InvalidLink,
    /// The offer's state no longer allows the answer (closed meanwhile…).
    #[error("{0}")]
    NotNow(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The question behind a link and its offer, while the link can be used at `now`.
pub async fn live(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> Result<Option<(OfferCheck, Offer)>, StoreError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(c) = store
        .offer_check(&auth::token_hash(token))
        .await?
        .filter(|c| c.answered_at.is_none() && c.expires_at > now)
    else {
        return Ok(None);
    };
    Ok(store.offer(c.offer_id).await?.map(|o| (c, o)))
}

/// Answers a question from its link: still open, filled or cancelled. The offer's history says
/// it was the employer's contact, by the e-mailed link.
pub async fn answer(
    store: &dyn Store,
    token: &str,
    answer: CheckAnswer,
    now: i64,
) -> Result<Offer, CheckError> {
    let Some((check, offer)) = live(store, token, now).await? else {
        return Err(CheckError::InvalidLink);
    };
    if !matches!(
        answer,
        CheckAnswer::Confirmed | CheckAnswer::Filled | CheckAnswer::Closed
    ) {
        return Err(CheckError::InvalidLink);
    }
    if answer == CheckAnswer::Confirmed && offer.status != OfferStatus::Published {
        return Err(CheckError::NotNow(format!(
            "L'offre est « {} » : elle ne peut plus être confirmée ainsi. Appelez votre conseiller.",
            offer.status.label_fr()
        )));
    }
    let actor = format!("{} (lien « toujours d'actualité ? »)", check.sent_to);
    match store
        .answer_offer_check(
            Some(&auth::token_hash(token)),
            offer.id,
            answer,
            crate::today_paris(),
            &actor,
            now,
        )
        .await
    {
        Err(StoreError::NotFound) => Err(CheckError::InvalidLink),
        Err(StoreError::Conflict(m)) => Err(CheckError::NotNow(m)),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(store.offer(offer.id).await?.unwrap_or(offer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_question_follows_the_latest_of_publication_republication_and_question() {
        let day = time::macros::date!(2026 - 11 - 02);
        let mut s = CheckState {
            offer_id: dklik_domain::OfferId(1),
            employer_id: dklik_domain::EmployerId(1),
            published_on: Some(day),
            last_published_at: None,
            last_sent_at: None,
            waiting_since: None,
            email: Some("rh@example.org".into()),
            phone: None,
        };
        let start = crate::paris_instant(day, 0);
        assert_eq!(next_due(&s), Some(start + 14 * DAY));
        s.last_sent_at = Some(start + 14 * DAY + 3600);
        assert_eq!(next_due(&s), Some(start + 28 * DAY + 3600));
        s.last_published_at = Some(start + 30 * DAY);
        assert_eq!(next_due(&s), Some(start + 44 * DAY));
        s.published_on = None;
        s.last_published_at = None;
        s.last_sent_at = None;
        assert_eq!(next_due(&s), None);
    }
}
