//! The storage contract of introductions (mises en relation). Part of [`crate::Store`];
//! implemented once for both databases by `dklik_store_sql::impl_introduction_store!`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::matching::IntroStatus;
use dklik_domain::privacy::PersonId;
use dklik_domain::EmployerId;
use dklik_domain::OfferId;
use serde::Serialize;

/// An introduction of a person to a post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Introduction {
    /// Its number.
    pub id: i64,
    /// Who.
    pub person_id: PersonId,
    /// Their name.
    pub person_name: String,
    /// The offer.
    pub offer_id: OfferId,
    /// The offer's short code.
    pub offer_code: String,
    /// The offer's title.
    pub offer_title: String,
    /// The offer's employer.
    pub employer_id: EmployerId,
    /// Where it is.
    pub status: IntroStatus,
    /// The score when proposed (0 to 1).
    pub score: f64,
    /// The account that proposed it.
    pub created_by: Option<i64>,
    /// When, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
    /// When the next step is due, if any.
    pub due_at: Option<i64>,
    /// Why it was proposed.
    pub reason: String,
    /// The employer's feedback.
    pub feedback: String,
    /// When the person was hired, if they were.
    pub hired_at: Option<i64>,
    /// Follow-ups done after a hire (0, 1 after a month, 2 after three).
    pub followups_done: i64,
}

/// A person proposed for a post.
#[derive(Debug, Clone)]
pub struct NewIntroduction {
    /// Who.
    pub person_id: PersonId,
    /// The offer.
    pub offer_id: OfferId,
    /// The score when proposed.
    pub score: f64,
    /// The account proposing it.
    pub created_by: Option<i64>,
    /// When, Unix seconds.
    pub at: i64,
    /// When the next step is due.
    pub due_at: i64,
    /// Who, in words.
    pub actor: String,
}

/// One step of an introduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntroStep {
    /// From this status.
    pub from: IntroStatus,
    /// To this one.
    pub to: IntroStatus,
    /// When, Unix seconds.
    pub at: i64,
    /// Who, in words.
    pub actor: String,
    /// A note.
    pub note: String,
}

/// A change of step.
#[derive(Debug, Clone)]
pub struct IntroChange {
    /// The introduction.
    pub id: i64,
    /// Its status now (checked in the same transaction).
    pub from: IntroStatus,
    /// The new status.
    pub to: IntroStatus,
    /// When, Unix seconds.
    pub at: i64,
    /// When the next step is due, if any.
    pub due_at: Option<i64>,
    /// Who, in words.
    pub actor: String,
    /// A note.
    pub note: String,
    /// Why (kept on the introduction).
    pub reason: String,
    /// The employer's feedback.
    pub feedback: String,
}

/// Introductions of people to posts and their steps.
#[async_trait]
pub trait IntroductionStore: Send + Sync {
    /// `Conflict` when this person is already introduced to this post.
    async fn create_introduction(&self, n: &NewIntroduction) -> Result<i64, StoreError>;
    /// An introduction by number.
    async fn introduction(&self, id: i64) -> Result<Option<Introduction>, StoreError>;
    /// A person's introductions, newest first.
    async fn person_introductions(
        &self,
        person_id: PersonId,
    ) -> Result<Vec<Introduction>, StoreError>;
    /// Introductions to an employer's posts (all employers when None), newest first.
    async fn employer_introductions(
        &self,
        employer: Option<i64>,
    ) -> Result<Vec<Introduction>, StoreError>;
    /// An introduction's steps, oldest first.
    async fn introduction_steps(&self, id: i64) -> Result<Vec<IntroStep>, StoreError>;
    /// Moves an introduction on, in one transaction with its step; `Conflict` when it is no
    /// longer at `from`. A hire takes one open position of the post (`Conflict` when none is
    /// left) and closes the post as filled when it was the last one.
    async fn change_introduction(&self, c: &IntroChange) -> Result<(), StoreError>;
    /// Open introductions whose step is past due at `now`.
    async fn overdue_introductions(&self, now: i64) -> Result<Vec<Introduction>, StoreError>;
    /// Hires whose follow-up `n` (1 after 30 days, 2 after 90) is due at `now`.
    async fn due_followups(&self, now: i64) -> Result<Vec<Introduction>, StoreError>;
    /// Marks a hire's follow-up as done.
    async fn mark_followup(&self, id: i64, done: i64) -> Result<(), StoreError>;
    /// Proposals in course: per post, its open introductions and the call-back requests about
    /// it still waiting (new or to call again); per person, their open introductions.
    async fn open_proposals(&self) -> Result<OpenProposals, StoreError>;
}

/// Proposals in course, counted for the crowding rule of the rankings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenProposals {
    /// Offer id → proposals in course.
    pub per_offer: std::collections::HashMap<i64, u32>,
    /// Person id → open introductions.
    pub per_person: std::collections::HashMap<i64, u32>,
}

impl OpenProposals {
    /// An offer's proposals in course.
    pub fn offer(&self, id: i64) -> u32 {
        self.per_offer.get(&id).copied().unwrap_or(0)
    }
    /// A person's open introductions.
    pub fn person(&self, id: i64) -> u32 {
        self.per_person.get(&id).copied().unwrap_or(0)
    }
}
