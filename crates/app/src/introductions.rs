//! Introductions (mises en relation): suggested → discussed with the person → the person agrees
//! → sent to the employer → interview → hired / not hired / withdrawn. Deadlines per step with a
//! reminder to the advisor and expiry, follow-ups one and three months after a hire, every step
//! recorded with who and when and in the person's timeline. A hire takes an open position; the
//! last one closes the post, which then leaves the screens.

use crate::introduction_store::{IntroChange, Introduction};
use crate::matching::{hard_filters, person_view, Transit};
use crate::skills::{record_counted, record_step, Counts, SkillsRef, Step};
use crate::store::{Store, StoreError};
use dklik_domain::matching::{score, IntroStatus, NOT_HIRED_REASONS};
use dklik_domain::privacy::PersonId;
use dklik_domain::EmployerId;
use dklik_domain::{OfferStatus, ShortCode, ValidationError};

/// Why an introduction action failed.
#[derive(Debug, thiserror::Error)]
pub enum IntroError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, m: impl Into<String>) -> IntroError {
    IntroError::Invalid(ValidationError::single(field, m))
}

/// Who moves an introduction on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// An advisor's account.
    Advisor(i64),
    /// An employer user, for its own posts only.
    Employer(EmployerId),
}

/// Proposes a person for a post, with the score at that moment.
pub async fn propose(
    store: &dyn Store,
    r: &SkillsRef,
    transit: &Transit,
    person_id: PersonId,
    offer_code: &str,
    (user_id, actor): (i64, &str),
    now: i64,
) -> Result<i64, IntroError> {
    let code = ShortCode::parse(offer_code).map_err(|m| invalid("offre", m))?;
    let offer = store
        .offer_by_code(&code)
        .await?
        .ok_or_else(|| invalid("offre", format!("Aucune offre n'a le code {code}.")))?;
    if offer.status != OfferStatus::Published {
        return Err(invalid("offre", "Cette offre n'est plus ouverte."));
    }
    if offer.items.is_empty() {
        return Err(invalid(
            "offre",
            "Ce poste n'a pas de compétences demandées : ajoutez-les avant de proposer quelqu'un.",
        ));
    }
    let person = person_view(store, r, person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let check = hard_filters(store, transit, &person, &offer, crate::today_paris()).await?;
    let s = score(&person.skills, &offer.items, r, check.blockers);
    let due = now + IntroStatus::Suggested.deadline_days().unwrap_or(7) * 86_400;
    let id = match store
        .create_introduction(&crate::introduction_store::NewIntroduction {
            person_id,
            offer_id: offer.id,
            score: s.value,
            created_by: Some(user_id),
            at: now,
            due_at: due,
            actor: actor.into(),
        })
        .await
    {
        Err(StoreError::Conflict(m)) => return Err(invalid("offre", m)),
        other => other?,
    };
    record_counted(
        store,
        person_id,
        Step {
            kind: "introduction",
            channel: "conseiller",
            summary: &format!(
                "Mise en relation proposée : {} ({}), score {} %",
                offer.title,
                offer.employer_name,
                (s.value * 100.0).round()
            ),
            reference: &format!("introduction:{id}"),
        },
        Counts::default().offer(offer.id),
        actor,
        now,
    )
    .await?;
    Ok(id)
}

/// What the mover sends with a step.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    /// The new status.
    pub to: String,
    /// A note.
    pub note: String,
    /// For "not hired": one of [`NOT_HIRED_REASONS`].
    pub reason: String,
    /// For "not hired": feedback per skill, in the employer's words.
    pub feedback: String,
}

/// Moves an introduction to its next step.
pub async fn advance(
    store: &dyn Store,
    id: i64,
    mover: Mover,
    input: &StepInput,
    actor: &str,
    now: i64,
) -> Result<Introduction, IntroError> {
    let i = store.introduction(id).await?.ok_or(StoreError::NotFound)?;
    let to = IntroStatus::parse(&input.to).map_err(|m| invalid("vers", m))?;
    if let Mover::Employer(e) = mover {
        // An employer sees only its posts, once the person agreed and was sent.
        if i.employer_id != e || !i.status.employer_sees() {
            return Err(StoreError::NotFound.into());
        }
        if !matches!(
            to,
            IntroStatus::Interview | IntroStatus::Hired | IntroStatus::NotHired
        ) {
            return Err(invalid(
                "vers",
                "L'entreprise indique l'entretien et sa décision.",
            ));
        }
    }
    if !i.status.can_become(to) {
        return Err(invalid(
            "vers",
            format!(
                "Étape impossible : de « {} », on passe à : {}.",
                i.status.label_fr(),
                i.status
                    .next()
                    .iter()
                    .map(|s| s.label_fr())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut errs = ValidationError::default();
    if to == IntroStatus::NotHired && !NOT_HIRED_REASONS.contains(&input.reason.as_str()) {
        errs.push("raison", "Choisissez la raison dans la liste.");
    }
    if input.note.chars().count() > 1000 || input.feedback.chars().count() > 2000 {
        errs.push(
            "note",
            "Texte trop long (1 000 caractères pour la note, 2 000 pour le retour).",
        );
    }
    errs.into_result().map_err(IntroError::Invalid)?;
    let change = IntroChange {
        id,
        from: i.status,
        to,
        at: now,
        due_at: to.deadline_days().map(|d| now + d * 86_400),
        actor: actor.into(),
        note: input.note.trim().into(),
        reason: if to == IntroStatus::Withdrawn && input.reason.is_empty() {
            "abandonnée".into()
        } else {
            input.reason.trim().into()
        },
        feedback: input.feedback.trim().into(),
    };
    match store.change_introduction(&change).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("vers", m)),
        other => other?,
    }
    record_counted(
        store,
        i.person_id,
        Step {
            kind: "introduction",
            channel: match mover {
                Mover::Advisor(_) => "conseiller",
                Mover::Employer(_) => "entreprise",
            },
            summary: &format!("Mise en relation « {} » : {}", i.offer_title, to.label_fr()),
            reference: &format!("introduction:{id}"),
        },
        Counts {
            stage: stage_of(to),
            offer_id: Some(i.offer_id),
            impression: None,
        },
        actor,
        now,
    )
    .await?;
    Ok(store.introduction(id).await?.ok_or(StoreError::NotFound)?)
}

/// Daily: a reminder to the advisor for each step past its deadline, expiry when twice past,
/// and follow-ups one and three months after a hire. Returns (reminders, expired, follow-ups).
pub async fn daily(
    store: &dyn Store,
    base_url: &str,
    now: i64,
) -> Result<(usize, usize, usize), StoreError> {
    let (mut reminded, mut expired, mut followed) = (0, 0, 0);
    for i in store.overdue_introductions(now).await? {
        let days = i.status.deadline_days().unwrap_or(7);
        let late_since = i.due_at.unwrap_or(now);
        if now - late_since > days * 86_400 {
            let change = IntroChange {
                id: i.id,
                from: i.status,
                to: IntroStatus::Withdrawn,
                at: now,
                due_at: None,
                actor: "DKLIK (délai dépassé)".into(),
                note: format!("expirée à l'étape « {} »", i.status.label_fr()),
                reason: "expirée".into(),
                feedback: String::new(),
            };
            if store.change_introduction(&change).await.is_ok() {
                record_step(
                    store,
                    i.person_id,
                    Step {
                        kind: "introduction",
                        channel: "conseiller",
                        summary: &format!("Mise en relation « {} » expirée", i.offer_title),
                        reference: &format!("introduction:{}", i.id),
                    },
                    "DKLIK",
                    now,
                )
                .await?;
                expired += 1;
            }
            continue;
        }
        if let Some(uid) = i.created_by {
            if let Some(u) = store.user(uid).await? {
                store
                    .enqueue_mail(
                        &u.email,
                        "Mise en relation en attente",
                        &format!(
                            "Bonjour,\n\nLa mise en relation de {} avec « {} » attend depuis l'étape « {} ».\n{base_url}/conseil/personnes/{}\n\nDKLIK",
                            i.person_name,
                            i.offer_title,
                            i.status.label_fr(),
                            i.person_id
                        ),
                        now,
                    )
                    .await?;
                reminded += 1;
            }
        }
    }
    for i in store.due_followups(now).await? {
        let n = i.followups_done + 1;
        let when = if n == 1 { "un mois" } else { "trois mois" };
        if let Some(u) = match i.created_by {
            Some(uid) => store.user(uid).await?,
            None => None,
        } {
            store
                .enqueue_mail(
                    &u.email,
                    &format!("Suivi à {when} : {}", i.person_name),
                    &format!(
                        "Bonjour,\n\n{} a été embauché(e) il y a {when} sur « {} ». Prenez des nouvelles.\n{base_url}/conseil/personnes/{}\n\nDKLIK",
                        i.person_name, i.offer_title, i.person_id
                    ),
                    now,
                )
                .await?;
        }
        record_step(
            store,
            i.person_id,
            Step {
                kind: "introduction",
                channel: "conseiller",
                summary: &format!("Suivi à {when} après l'embauche ({})", i.offer_title),
                reference: &format!("introduction:{}", i.id),
            },
            "DKLIK",
            now,
        )
        .await?;
        store.mark_followup(i.id, n).await?;
        followed += 1;
    }
    Ok((reminded, expired, followed))
}

/// What an introduction's step counts as in the figures.
fn stage_of(to: IntroStatus) -> Option<dklik_domain::impact::Stage> {
    use dklik_domain::impact::Stage;
    match to {
        IntroStatus::Sent => Some(Stage::Introduction),
        IntroStatus::Interview => Some(Stage::Interview),
        IntroStatus::Hired => Some(Stage::Hire),
        IntroStatus::Suggested
        | IntroStatus::Discussed
        | IntroStatus::Agreed
        | IntroStatus::NotHired
        | IntroStatus::Withdrawn => None,
    }
}
