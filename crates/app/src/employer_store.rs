//! The storage contract of employers, their sites and the life of their offers as advisors
//! manage them in the browser.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::employer::{EmployerInput, NewSite};
use dklik_domain::{Employer, EmployerId, Offer, OfferId, OfferStatus, SiteId};
use serde::Serialize;

/// An employer with the details entered in the browser (empty for employers from files).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmployerCard {
    /// The employer.
    pub employer: Employer,
    /// Its SIRET, 14 digits.
    pub siret: Option<String>,
    /// Its APE/NAF code.
    pub naf: Option<String>,
    /// The contact's name.
    pub contact_name: String,
    /// The contact's e-mail address.
    pub contact_email: Option<String>,
    /// The contact's phone number.
    pub contact_phone: Option<String>,
    /// Its own new offers wait for an advisor's review before they are shown.
    pub review_offers: bool,
}

/// An offer, whatever its state, as the staff's list of employers finds it by (see
/// `crate::directory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedOffer {
    /// The offer.
    pub id: OfferId,
    /// Its employer.
    pub employer: EmployerId,
    /// Its short code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Its site's commune.
    pub commune: String,
    /// Its state.
    pub status: OfferStatus,
}

/// An invitation sent to an employer's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    /// The employer the account will belong to.
    pub employer_id: EmployerId,
    /// Where the link was sent (lower case).
    pub email: String,
    /// The name the account will show.
    pub display_name: String,
    /// Who sent it, in words.
    pub invited_by: String,
    /// When it was sent, Unix seconds.
    pub created_at: i64,
    /// Until when the link works, Unix seconds.
    pub expires_at: i64,
    /// When the account was made with it, if it was.
    pub used_at: Option<i64>,
}

/// A "toujours d'actualité ?" question sent about an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferCheck {
    /// The offer asked about.
    pub offer_id: OfferId,
    /// Where it was sent.
    pub sent_to: String,
    /// When, Unix seconds.
    pub sent_at: i64,
    /// Until when its links work, Unix seconds.
    pub expires_at: i64,
    /// When it was answered, if it was.
    pub answered_at: Option<i64>,
    /// The answer, if any.
    pub answer: Option<CheckAnswer>,
}

/// How a "toujours d'actualité ?" question ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CheckAnswer {
    /// Still open: the offer stays published.
    Confirmed,
    /// The post is filled: the offer is closed as filled.
    Filled,
    /// The offer is cancelled.
    Closed,
    /// Nobody answered within 7 days: the offer was paused.
    Paused,
    /// The offer was published again meanwhile: the question no longer applies.
    Republished,
}

impl CheckAnswer {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Filled => "filled",
            Self::Closed => "closed",
            Self::Paused => "paused",
            Self::Republished => "republished",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Confirmed,
            Self::Filled,
            Self::Closed,
            Self::Paused,
            Self::Republished,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
    /// The offer's state the answer leads to, if it changes it.
    pub fn offer_status(self) -> Option<OfferStatus> {
        match self {
            Self::Filled => Some(OfferStatus::Filled),
            Self::Closed => Some(OfferStatus::Closed),
            Self::Paused => Some(OfferStatus::Paused),
            Self::Confirmed | Self::Republished => None,
        }
    }
}

/// Where a published offer stands with its "toujours d'actualité ?" questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckState {
    /// The offer.
    pub offer_id: OfferId,
    /// Its employer.
    pub employer_id: EmployerId,
    /// The day it was first published.
    pub published_on: Option<time::Date>,
    /// When it was last (re)published from the browser, Unix seconds, if recorded.
    pub last_published_at: Option<i64>,
    /// When the last question was sent, if any.
    pub last_sent_at: Option<i64>,
    /// When the question still waiting for an answer was sent, if one is.
    pub waiting_since: Option<i64>,
    /// The employer contact's e-mail, else an employer account's, if any.
    pub email: Option<String>,
    /// The employer contact's phone, if any (asked by text when no e-mail is known).
    pub phone: Option<String>,
}

/// One change of an offer's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// The state before.
    pub from: OfferStatus,
    /// The state after.
    pub to: OfferStatus,
    /// Who, in words ("Camille (conseiller)").
    pub actor: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// Employers, sites and offers' states.
#[async_trait]
pub trait EmployerStore: Send + Sync {
    /// Adds an employer; `Conflict` when the name or the SIRET is already known.
    async fn create_employer(&self, e: &EmployerInput, at: i64) -> Result<EmployerId, StoreError>;
    /// Changes an employer's details; `Conflict` when the name or the SIRET is another's.
    async fn update_employer(
        &self,
        id: EmployerId,
        e: &EmployerInput,
        at: i64,
    ) -> Result<(), StoreError>;
    /// An employer with its details.
    async fn employer_card(&self, id: EmployerId) -> Result<Option<EmployerCard>, StoreError>;
    /// Adds a site to an employer; `Conflict` when the same site exists.
    async fn add_site(&self, employer: EmployerId, s: &NewSite) -> Result<SiteId, StoreError>;
    /// Every offer of an employer whatever its state, newest first.
    async fn employer_offers(&self, employer: EmployerId) -> Result<Vec<Offer>, StoreError>;
    /// Every offer in this state, oldest first (the advisors' list of offers to review).
    async fn offers_in_status(&self, status: OfferStatus) -> Result<Vec<Offer>, StoreError>;
    /// The first `limit` offers in this state, oldest first, as the list shows them (with their
    /// employer's name), and how many there are: the advisors' "à traiter".
    async fn offers_to_handle(
        &self,
        status: OfferStatus,
        limit: u32,
    ) -> Result<(Vec<(ListedOffer, String)>, u64), StoreError>;
    /// Offers of every state with an id above `after`, by id, `limit` at most, as the staff's
    /// list of employers finds them by.
    async fn listed_offers(&self, after: i64, limit: u32) -> Result<Vec<ListedOffer>, StoreError>;
    /// A cheap mark that moves when an employer is added or edited, or an offer added or
    /// changed: the greatest ids and the latest change (Unix seconds), together.
    async fn employers_version(&self) -> Result<(i64, i64), StoreError>;
    /// Moves an offer along its life and records who did it; `Conflict` when the change is not
    /// allowed from its state now.
    async fn change_offer_status(
        &self,
        id: OfferId,
        to: OfferStatus,
        on: time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// An offer's changes of state, oldest first.
    async fn offer_status_changes(&self, id: OfferId) -> Result<Vec<StatusChange>, StoreError>;

    /// Records an invitation (its link's token kept as a hash).
    async fn create_invitation(
        &self,
        token_hash: &str,
        invitation: &Invitation,
    ) -> Result<(), StoreError>;
    /// The invitation behind a link's token hash, used or not.
    async fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError>;
    /// An employer's invitations, newest first.
    async fn invitations(&self, employer: EmployerId) -> Result<Vec<Invitation>, StoreError>;
    /// Makes the employer account of an invitation and marks it used, at once: `NotFound`
    /// when the link is unknown, used or expired at `at`, `Conflict` when an account has this
    /// e-mail already. Returns the account's id.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<i64, StoreError>;

    /// Records a "toujours d'actualité ?" question (its links' token kept as a hash).
    async fn create_offer_check(
        &self,
        token_hash: &str,
        check: &OfferCheck,
    ) -> Result<(), StoreError>;
    /// The question behind a link's token hash.
    async fn offer_check(&self, token_hash: &str) -> Result<Option<OfferCheck>, StoreError>;
    /// Answers a question and changes its offer's state as the answer says, at once:
    /// `NotFound` when the link is unknown, answered or expired at `at` (a pause by the daily
    /// task passes `None`, which also takes answered-by-nobody questions past their links'
    /// end), `Conflict` when the offer's state no longer allows the change.
    async fn answer_offer_check(
        &self,
        token_hash: Option<&str>,
        offer: OfferId,
        answer: CheckAnswer,
        on: time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Every published offer with its questions' state (for the daily task).
    async fn check_states(&self) -> Result<Vec<CheckState>, StoreError>;

    /// Records that these France Travail offers (by their France Travail id) were in the
    /// synchronisation's answer at `at`.
    async fn mark_france_travail_seen(&self, ids: &[String], at: i64) -> Result<(), StoreError>;
    /// The published or paused offers once seen by the synchronisation and not since `since`.
    async fn france_travail_gone(&self, since: i64) -> Result<Vec<Offer>, StoreError>;
}
