//! The storage contract of introductions (mises en relation). Part of [`crate::Store`];
//! implemented once for both databases by `dklik_store_sql::impl_introduction_store!`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::matching::IntroStatus;
use dklik_domain::privacy::PersonId;
use serde::Serialize;

/// An introduction of a person to a post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Introduction {
    pub id: i64,
    pub person_id: PersonId,
    pub person_name: String,
    pub offer_id: i64,
    pub offer_code: String,
    pub offer_title: String,
    pub employer_id: i64,
    pub status: IntroStatus,
    /// The score when proposed (0 to 1).
    pub score: f64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub due_at: Option<i64>,
    pub reason: String,
    pub feedback: String,
    pub hired_at: Option<i64>,
    /// Follow-ups done after a hire (0, 1 after a month, 2 after three).
    pub followups_done: i64,
}

/// A person proposed for a post.
#[derive(Debug, Clone)]
pub struct NewIntroduction {
    pub person_id: PersonId,
    pub offer_id: i64,
    pub score: f64,
    pub created_by: Option<i64>,
    pub at: i64,
    pub due_at: i64,
    pub actor: String,
}

/// One step of an introduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntroStep {
    pub from: IntroStatus,
    pub to: IntroStatus,
    pub at: i64,
    pub actor: String,
    pub note: String,
}

/// A change of step.
#[derive(Debug, Clone)]
pub struct IntroChange {
    pub id: i64,
    pub from: IntroStatus,
    pub to: IntroStatus,
    pub at: i64,
    pub due_at: Option<i64>,
    pub actor: String,
    pub note: String,
    pub reason: String,
    pub feedback: String,
}

#[async_trait]
pub trait IntroductionStore: Send + Sync {
    /// `Conflict` when this person is already introduced to this post.
    async fn create_introduction(&self, n: &NewIntroduction) -> Result<i64, StoreError>;
    async fn introduction(&self, id: i64) -> Result<Option<Introduction>, StoreError>;
    async fn person_introductions(
        &self,
        person_id: PersonId,
    ) -> Result<Vec<Introduction>, StoreError>;
    /// Introductions to an employer's posts (all employers when None), newest first.
    async fn employer_introductions(
        &self,
        employer: Option<i64>,
    ) -> Result<Vec<Introduction>, StoreError>;
    async fn introduction_steps(&self, id: i64) -> Result<Vec<IntroStep>, StoreError>;
    /// Moves an introduction on, in one transaction with its step; `Conflict` when it is no
    /// longer at `from`. A hire takes one open position of the post (`Conflict` when none is
    /// left) and closes the post as filled when it was the last one.
    async fn change_introduction(&self, c: &IntroChange) -> Result<(), StoreError>;
    /// Open introductions whose step is past due at `now`.
    async fn overdue_introductions(&self, now: i64) -> Result<Vec<Introduction>, StoreError>;
    /// Hires whose follow-up `n` (1 after 30 days, 2 after 90) is due at `now`.
    async fn due_followups(&self, now: i64) -> Result<Vec<Introduction>, StoreError>;
    async fn mark_followup(&self, id: i64, done: i64) -> Result<(), StoreError>;
}
