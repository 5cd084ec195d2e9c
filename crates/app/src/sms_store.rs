//! The storage contract of text messages: the queue each message waits in until a provider
//! takes it, its state (queued, sent, delivered, failed), and the delivery receipts taken into
//! account once. Part of [`crate::Store`]; implemented once for both databases.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::sms::{Encoding, Purpose};
use dklik_domain::NewInterest;
use serde::Serialize;

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SmsState {
    /// Waiting to be handed to a provider (first time or again after a failure).
    Queued,
    /// Taken by a provider.
    Sent,
    /// The provider says it reached the phone.
    Delivered,
    /// Given up: refused by every provider for good, or undelivered.
    Failed,
}

impl SmsState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The stored word read back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSms {
    /// International form without the plus (`dklik_domain::sms::international`).
    pub to: String,
    /// The text as sent.
    pub body: String,
    /// What it is for (when it may go out).
    pub purpose: Purpose,
    /// Whose phone it is, when known.
    pub person: Option<PersonId>,
    /// Not before (Unix seconds): now, or the next allowed hour of an information message.
    pub not_before: i64,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsMessage {
    /// Its row.
    pub id: i64,
    /// International form without the plus.
    pub to: String,
    /// The text.
    pub body: String,
    /// "transactional" or "information".
    pub purpose: String,
    /// Whose phone it is, when known.
    pub person: Option<PersonId>,
    /// Where it is in its life.
    pub state: SmsState,
    /// "gsm7" or "ucs2".
    pub encoding: String,
    /// Messages billed.
    pub parts: u32,
    /// The provider that took it.
    pub provider: Option<String>,
    /// Its reference at that provider.
    pub provider_ref: Option<String>,
    /// What it cost, in millionths of a euro, when the provider says.
    pub cost_micro_eur: Option<i64>,
    /// Hand-overs tried.
    pub attempts: u32,
    /// When it may be tried next (queued).
    pub next_attempt_at: i64,
    /// Queued at.
    pub created_at: i64,
    /// Taken by a provider at.
    pub sent_at: Option<i64>,
    /// Delivered or failed at.
    pub done_at: Option<i64>,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

/// What a delivery receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// The message's state changed.
    Applied,
    /// This receipt was already taken into account.
    Replayed,
    /// No message of that provider has that reference.
    Unknown,
}

/// The messages queued in one period, by what became of them (the dashboard's month).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SmsPeriod {
    /// Still waiting in the queue.
    pub queued: u64,
    /// Taken by a provider, no receipt yet.
    pub sent: u64,
    /// Delivered to the phone.
    pub delivered: u64,
    /// Given up or undelivered.
    pub failed: u64,
    /// Message parts billed (messages that left the queue).
    pub parts: u64,
    /// What they cost, in millionths of a euro, as the providers' prices say.
    pub cost_micro_eur: i64,
}

impl SmsPeriod {
    /// Delivered among those whose fate is known (delivered or failed), when any.
    pub fn delivery_rate(&self) -> Option<f64> {
        let known = self.delivered + self.failed;
        (known > 0).then(|| self.delivered as f64 / known as f64)
    }
}

/// Someone who agreed to information texts, with where they live.
#[derive(Debug, Clone, PartialEq)]
pub struct NewsReader {
    /// Their record.
    pub person: PersonId,
    /// Their mobile, as records keep it.
    pub phone: String,
    /// Their first name ("" when none).
    pub first_name: String,
    /// Their neighbourhood's point (latitude, longitude).
    pub at: (f64, f64),
}

/// The storage of text messages.
#[async_trait]
pub trait SmsStore {
    /// Queues a message (its encoding and parts worked out from the text); returns its row.
    async fn queue_sms(
        &self,
        m: &NewSms,
        encoding: Encoding,
        parts: u32,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// Queued messages due at `now`, oldest first.
    async fn due_sms(&self, now: i64, limit: u32) -> Result<Vec<SmsMessage>, StoreError>;
    /// A provider took the message.
    async fn sms_sent(
        &self,
        id: i64,
        provider: &str,
        provider_ref: &str,
        cost_micro_eur: Option<i64>,
        at: i64,
    ) -> Result<(), StoreError>;
    /// The hand-over failed; try again at `next_at`.
    async fn sms_retry(&self, id: i64, error: &str, next_at: i64) -> Result<(), StoreError>;
    /// Given up.
    async fn sms_failed(&self, id: i64, error: &str, at: i64) -> Result<(), StoreError>;
    /// Takes a delivery receipt into account once (`receipt`: its own key, the reference and the
    /// status together); `delivered` false marks the message failed.
    async fn sms_receipt(
        &self,
        provider: &str,
        provider_ref: &str,
        receipt: &str,
        delivered: bool,
        at: i64,
    ) -> Result<ReceiptOutcome, StoreError>;
    /// One message.
    async fn sms_message(&self, id: i64) -> Result<Option<SmsMessage>, StoreError>;
    /// Messages per state (for the admin page).
    async fn sms_counts(&self) -> Result<Vec<(SmsState, u64)>, StoreError>;
    /// The messages queued in each period between consecutive `bounds` (ascending Unix
    /// seconds; n + 1 bounds give n periods), by state, with parts and cost.
    async fn sms_periods(&self, bounds: &[i64]) -> Result<Vec<SmsPeriod>, StoreError>;
    /// Records that this number (international form) answered STOP, and gives up the texts
    /// still queued for it; returns whether it is new.
    async fn sms_stop(&self, phone: &str, at: i64) -> Result<bool, StoreError>;
    /// Whether this number answered STOP.
    async fn sms_stopped(&self, phone: &str) -> Result<bool, StoreError>;
    /// Records a request that came by text message. Its `submission` is made from the
    /// provider's reference of the text, so a text posted twice makes one request; returns the
    /// request's row and whether it is new.
    async fn sms_request(
        &self,
        i: &NewInterest,
        at: i64,
        callback_due: time::Date,
    ) -> Result<(i64, bool), StoreError>;
    /// How many requests came by text from this phone (as stored: "06 12 34 56 78") since
    /// `since`.
    async fn sms_requests_since(&self, phone: &str, since: i64) -> Result<u64, StoreError>;
    /// The people who agree to information texts (a consent not withdrawn), have a phone and a
    /// neighbourhood, and were sent no information text since `since`.
    async fn sms_news_readers(&self, since: i64) -> Result<Vec<NewsReader>, StoreError>;
    /// The person answered OUI: their requests by text since `since` still waiting for it get
    /// the consent (recorded with the others, purpose "rappel_offre", wording
    /// [`dklik_domain::interest::SMS_CONSENT_VERSION`]); returns how many.
    async fn sms_agree(&self, phone: &str, since: i64, at: i64) -> Result<u64, StoreError>;
}
