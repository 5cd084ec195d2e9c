//! Sending text messages through real providers: each message is queued in the database
//! ([`crate::SmsStore`]), handed to the first provider that takes it (the others are the
//! fallback when one fails or does not answer in time), tried again with a growing delay while
//! no provider takes it, and followed to "delivered" or "failed" by the providers' receipts.
//!
//! Two providers are spoken to as their documentation describes:
//! - [`Brevo`]: `POST /v3/transactionalSMS/send` with the `api-key` header, a JSON body (sender,
//!   recipient in international form, content, type transactional or marketing, `unicodeEnabled`,
//!   `webUrl` for the receipts) answered `{"messageId": …}`;
//! - [`Twilio`]: `POST /2010-04-01/Accounts/{sid}/Messages.json` with HTTP Basic
//!   authentication, a form (`To`, `From`, `Body`, `StatusCallback`) answered with the message's
//!   `sid` and `num_segments`.
//!
//! A provider's answer is read as: taken (its reference), refused for good (a 4xx other than
//! 408 and 429: a number it will never reach, bad credentials — the next provider is still
//! tried), or failed for now (no answer in time, 408, 429, 5xx).

use crate::sms_store::NewSms;
use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::sms::{self, Encoding, Purpose};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// A provider took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Its reference at the provider (what the receipts name).
    pub reference: String,
}

/// A provider did not take the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotTaken {
    /// Worth trying again later (no answer in time, overloaded, a server error).
    ForNow(String),
    /// This provider will never take it (bad number, bad credentials, refused content).
    ForGood(String),
}

impl NotTaken {
    fn text(&self) -> &str {
        match self {
            Self::ForNow(s) | Self::ForGood(s) => s,
        }
    }
}

/// A message as handed to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// International form without the plus.
    pub to: String,
    /// The text.
    pub text: String,
    /// What it is for.
    pub purpose: Purpose,
    /// How it is encoded (UCS-2 must be asked for at some providers).
    pub encoding: Encoding,
}

/// One provider's HTTP interface (blocking: called off the async threads).
pub trait SmsProvider: Send + Sync {
    /// Its name, as stored beside the message and in the receipts' address.
    fn name(&self) -> &'static str;
    /// What one part costs, in millionths of a euro (the contract's price, from configuration).
    fn part_price_micro_eur(&self) -> Option<i64>;
    /// Hands one message over.
    fn send(&self, m: &Outgoing) -> Result<Taken, NotTaken>;
}

/// Without a provider (the demo, a trial): each text is written to a file of a folder, where
/// an operator's gateway may pick it up. It goes through the same queue as the others.
pub struct Folder {
    /// The folder.
    pub dir: std::path::PathBuf,
}

impl SmsProvider for Folder {
    fn name(&self) -> &'static str {
        "dossier"
    }
    fn part_price_micro_eur(&self) -> Option<i64> {
        None
    }
    fn send(&self, m: &Outgoing) -> Result<Taken, NotTaken> {
        let name =
            write_to_folder(&self.dir, &format!("+{}", m.to), &m.text).map_err(NotTaken::ForNow)?;
        Ok(Taken { reference: name })
    }
}

/// Writes one text to a new file of `dir` ("À : TO", a blank line, the text); returns the
/// file's name. Used by [`Folder`] and by `orientation::FolderSms`.
pub fn write_to_folder(dir: &std::path::Path, to: &str, text: &str) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("dossier {} : {e}", dir.display()))?;
    let mut nonce = [0u8; 4];
    getrandom::getrandom(&mut nonce).map_err(|e| e.to_string())?;
    let name = format!(
        "{}-{}-{}.txt",
        crate::unix_now(),
        to.chars().filter(char::is_ascii_digit).collect::<String>(),
        nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    std::fs::write(dir.join(&name), format!("À : {to}\n\n{text}\n"))
        .map_err(|e| format!("écriture {name} : {e}"))?;
    Ok(name)
}

/// Settings shared by the providers.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The API's base address (the provider's, or a test server's).
    pub base_url: String,
    /// The sender name shown on the phone (`dklik_domain::sms::sender_name`).
    pub sender: String,
    /// Where the provider posts delivery receipts (with the shared secret), if anywhere.
    pub receipts_url: Option<String>,
    /// What one part costs, in millionths of a euro.
    pub part_price_micro_eur: Option<i64>,
    /// How long to wait for an answer.
    pub timeout: Duration,
}

/// The largest provider answer read.
const MAX_ANSWER: u64 = 64 * 1024;

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout(timeout)
        .user_agent("dklik")
        .build()
}

fn read_json(resp: ureq::Response) -> Result<serde_json::Value, NotTaken> {
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut body)
        .map_err(|e| NotTaken::ForNow(format!("réponse interrompue ({e})")))?;
    serde_json::from_slice(&body)
        .map_err(|_| NotTaken::ForNow("réponse illisible (pas du JSON)".into()))
}

/// Reads a failed call: what the provider said, and whether it is worth trying again.
fn not_taken(provider: &str, e: ureq::Error) -> NotTaken {
    match e {
        ureq::Error::Status(code, resp) => {
            let said = read_json(resp)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let text = format!("{provider} répond {code} {said}")
                .trim()
                .to_string();
            if code == 408 || code == 429 || code >= 500 {
                NotTaken::ForNow(text)
            } else {
                NotTaken::ForGood(text)
            }
        }
        ureq::Error::Transport(t) => NotTaken::ForNow(format!("{provider} ne répond pas ({t})")),
    }
}

/// Brevo's transactional SMS.
pub struct Brevo {
    settings: ProviderSettings,
    api_key: String,
    agent: ureq::Agent,
}

impl Brevo {
    /// A Brevo account's key, with the shared settings.
    pub fn new(settings: ProviderSettings, api_key: &str) -> Self {
        Self {
            agent: agent(settings.timeout),
            settings,
            api_key: api_key.to_string(),
        }
    }
}

impl SmsProvider for Brevo {
    fn name(&self) -> &'static str {
        "brevo"
    }

    fn part_price_micro_eur(&self) -> Option<i64> {
        self.settings.part_price_micro_eur
    }

    fn send(&self, m: &Outgoing) -> Result<Taken, NotTaken> {
        let url = format!(
            "{}/v3/transactionalSMS/send",
            self.settings.base_url.trim_end_matches('/')
        );
        let mut body = serde_json::json!({
            "sender": self.settings.sender,
            "recipient": m.to,
            "content": m.text,
            "type": match m.purpose {
                Purpose::Transactional => "transactional",
                Purpose::Information => "marketing",
            },
            "unicodeEnabled": m.encoding == Encoding::Ucs2,
            "tag": "dklik",
        });
        if let Some(hook) = &self.settings.receipts_url {
            body["webUrl"] = serde_json::Value::String(hook.clone());
        }
        let resp = self
            .agent
            .post(&url)
            .set("api-key", &self.api_key)
            .set("accept", "application/json")
            .set("content-type", "application/json")
            .send_string(&body.to_string())
            .map_err(|e| not_taken("Brevo", e))?;
        let v = read_json(resp)?;
        let reference = match &v["messageId"] {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) if !s.is_empty() => s.clone(),
            _ => {
                return Err(NotTaken::ForNow(
                    "Brevo ne donne pas de référence au message".into(),
                ))
            }
        };
        Ok(Taken { reference })
    }
}

/// Twilio's Programmable Messaging.
pub struct Twilio {
    settings: ProviderSettings,
    account_sid: String,
    auth_token: String,
    agent: ureq::Agent,
}

impl Twilio {
    /// A Twilio account's identifier and token, with the shared settings (the sender is the
    /// alphanumeric sender or the account's number).
    pub fn new(settings: ProviderSettings, account_sid: &str, auth_token: &str) -> Self {
        Self {
            agent: agent(settings.timeout),
            settings,
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
        }
    }
}

impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn part_price_micro_eur(&self) -> Option<i64> {
        self.settings.part_price_micro_eur
    }

    fn send(&self, m: &Outgoing) -> Result<Taken, NotTaken> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.settings.base_url.trim_end_matches('/'),
            self.account_sid
        );
        let auth =
            crate::mail::base64(format!("{}:{}", self.account_sid, self.auth_token).as_bytes());
        let to = format!("+{}", m.to);
        let mut form = vec![
            ("To", to.as_str()),
            ("From", self.settings.sender.as_str()),
            ("Body", m.text.as_str()),
        ];
        if let Some(hook) = &self.settings.receipts_url {
            form.push(("StatusCallback", hook.as_str()));
        }
        let resp = self
            .agent
            .post(&url)
            .set("Authorization", &format!("Basic {auth}"))
            .send_form(&form)
            .map_err(|e| not_taken("Twilio", e))?;
        let v = read_json(resp)?;
        let reference = v["sid"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| NotTaken::ForNow("Twilio ne donne pas de référence au message".into()))?
            .to_string();
        Ok(Taken { reference })
    }
}

/// The providers in order of preference: a message goes to the first that takes it.
#[derive(Clone, Default)]
pub struct Providers(pub Vec<Arc<dyn SmsProvider>>);

/// What the providers did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handed {
    /// Taken by this provider, with its reference and the message's cost.
    Taken {
        /// The provider's name.
        provider: &'static str,
        /// Its reference.
        reference: String,
        /// What it cost, in millionths of a euro, when the price is known.
        cost_micro_eur: Option<i64>,
    },
    /// No provider took it, and one at least may later.
    Later(String),
    /// Every provider refused it for good.
    Never(String),
}

impl Providers {
    /// Hands a message to the first provider that takes it.
    pub fn hand(&self, m: &Outgoing, parts: u32) -> Handed {
        let mut said = Vec::new();
        let mut any_later = false;
        for p in &self.0 {
            match p.send(m) {
                Ok(t) => {
                    return Handed::Taken {
                        provider: p.name(),
                        reference: t.reference,
                        cost_micro_eur: p.part_price_micro_eur().map(|c| c * i64::from(parts)),
                    }
                }
                Err(e) => {
                    any_later |= matches!(e, NotTaken::ForNow(_));
                    said.push(e.text().to_string());
                }
            }
        }
        if said.is_empty() {
            return Handed::Later("aucun fournisseur de SMS n'est configuré".into());
        }
        if any_later {
            Handed::Later(said.join(" ; "))
        } else {
            Handed::Never(said.join(" ; "))
        }
    }
}

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Not a French mobile number.
    #[error("« {0} » n'est pas un numéro de portable : un SMS ne peut pas y être envoyé.")]
    NotAMobile(String),
    /// An empty text.
    #[error("Le message est vide.")]
    Empty,
    /// The person answered STOP.
    #[error("Ce numéro a répondu STOP : aucun SMS ne lui est plus envoyé.")]
    Stopped,
    /// An information text to someone who has not agreed to receive them.
    #[error(
        "Cette personne n'a pas accepté de recevoir des SMS d'information (nouvelles offres)."
    )]
    NoConsent,
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues a text to `phone` (as stored or typed): an information message goes only to a
/// `person` who agreed to them, carries the way to stop and waits for the allowed hours.
/// Returns the message's row.
pub async fn queue(
    store: &dyn crate::Store,
    phone: &str,
    text: &str,
    purpose: Purpose,
    person: Option<PersonId>,
    now: i64,
) -> Result<i64, QueueError> {
    let to = sms::international(phone).ok_or_else(|| QueueError::NotAMobile(phone.to_string()))?;
    if text.trim().is_empty() {
        return Err(QueueError::Empty);
    }
    if store.sms_stopped(&to).await? {
        return Err(QueueError::Stopped);
    }
    // Information needs the person's consent for it (recorded as the other consents).
    if purpose == Purpose::Information {
        match person {
            Some(p) if store.wants_sms_news(p).await? => {}
            _ => return Err(QueueError::NoConsent),
        }
    }
    let body = sms::with_stop(purpose, text.trim());
    let paris = time::OffsetDateTime::from_unix_timestamp(now)
        .map(|t| t.to_offset(crate::now_paris().offset()))
        .unwrap_or_else(|_| crate::now_paris());
    let not_before = match sms::allowed_from(purpose, paris) {
        Ok(()) => now,
        Err(at) => at.unix_timestamp(),
    };
    let seg = sms::segments(&body);
    Ok(store
        .queue_sms(
            &NewSms {
                to,
                body,
                purpose,
                person,
                not_before,
            },
            seg.encoding,
            seg.parts,
            now,
        )
        .await?)
}

/// One month of text messages on the dashboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SmsMonth {
    /// "2026-11"
    pub month: String,
    /// What became of the month's messages.
    pub figures: crate::sms_store::SmsPeriod,
}

/// The months of `from`..=`to` (Europe/Paris; 24 at most, the latest kept), each with its
/// messages.
pub async fn monthly(
    store: &dyn crate::Store,
    from: time::Date,
    to: time::Date,
) -> Result<Vec<SmsMonth>, StoreError> {
    let first = |d: time::Date| d.replace_day(1).unwrap_or(d);
    let mut starts = vec![first(from)];
    while let Some(next) = starts
        .last()
        .and_then(|d| d.checked_add(time::Duration::days(32)))
        .map(first)
        .filter(|d| *d <= to)
    {
        starts.push(next);
    }
    if starts.len() > 24 {
        starts.drain(..starts.len() - 24);
    }
    let end = starts
        .last()
        .and_then(|d| d.checked_add(time::Duration::days(32)))
        .map(first)
        .unwrap_or(to);
    let bounds: Vec<i64> = starts
        .iter()
        .chain(std::iter::once(&end))
        .map(|d| crate::paris_instant(*d, 0))
        .collect();
    let figures = store.sms_periods(&bounds).await?;
    Ok(starts
        .iter()
        .zip(figures)
        .map(|(d, figures)| SmsMonth {
            month: format!("{:04}-{:02}", d.year(), d.month() as u8),
            figures,
        })
        .collect())
}

/// Hand-overs tried before a message is given up (a day with the delays below: both providers
/// may be down for hours).
pub const MAX_ATTEMPTS: u32 = 14;

/// The delay before the next try after `attempts` failed ones: 30 s, 1, 2, 4… minutes, at
/// most 4 hours.
pub fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.min(10)).min(4 * 3600)
}

/// Hands the messages due at `now` to the providers; returns how many were taken.
pub async fn send_due(
    store: &dyn crate::Store,
    providers: &Providers,
    now: i64,
) -> Result<u32, StoreError> {
    let mut taken = 0;
    for m in store.due_sms(now, 100).await? {
        let out = Outgoing {
            to: m.to.clone(),
            text: m.body.clone(),
            purpose: Purpose::parse(&m.purpose).unwrap_or(Purpose::Transactional),
            encoding: if m.encoding == Encoding::Ucs2.as_str() {
                Encoding::Ucs2
            } else {
                Encoding::Gsm7
            },
        };
        let who = providers.clone();
        let parts = m.parts;
        let handed = tokio::task::spawn_blocking(move || who.hand(&out, parts))
            .await
            .map_err(|e| StoreError::Backend(format!("envoi de SMS : {e}")))?;
        match handed {
            Handed::Taken {
                provider,
                reference,
                cost_micro_eur,
            } => {
                store
                    .sms_sent(m.id, provider, &reference, cost_micro_eur, now)
                    .await?;
                taken += 1;
            }
            Handed::Later(why) if m.attempts + 1 < MAX_ATTEMPTS => {
                tracing::warn!(sms = m.id, attempts = m.attempts + 1, error = %why, "SMS pas encore envoyé, nouvel essai plus tard");
                store
                    .sms_retry(m.id, &why, now + backoff(m.attempts))
                    .await?;
            }
            Handed::Later(why) | Handed::Never(why) => {
                tracing::warn!(sms = m.id, error = %why, "SMS abandonné");
                store.sms_failed(m.id, &why, now).await?;
            }
        }
    }
    Ok(taken)
}

/// Sends the queue every few seconds, for as long as the server runs.
pub async fn keep_sending(store: Arc<dyn crate::Store>, providers: Providers) {
    loop {
        if let Err(e) = send_due(store.as_ref(), &providers, crate::unix_now()).await {
            tracing::warn!(error = %e, "file des SMS : lecture impossible, nouvel essai");
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// What a provider's receipt says of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's reference of the message.
    pub reference: String,
    /// The status as the provider words it.
    pub status: String,
    /// Delivered (`true`), undelivered (`false`), or still on its way (`None`: nothing to do).
    pub delivered: Option<bool>,
}

/// Reads Brevo's receipt (JSON): the message's `messageId` and its event.
pub fn brevo_receipt(body: &[u8]) -> Option<Receipt> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let reference = match v.get("messageId").or_else(|| v.get("message_id"))? {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        _ => return None,
    };
    let status = ["msg_status", "event", "status"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|s| s.as_str()))?
        .to_lowercase();
    let delivered = match status.as_str() {
        "delivered" => Some(true),
        "hard_bounce" | "hardbounce" | "soft_bounce" | "softbounce" | "rejected" | "blocked"
        | "failed" | "undelivered" | "error" => Some(false),
        _ => None,
    };
    Some(Receipt {
        reference,
        status,
        delivered,
    })
}

/// Reads Twilio's status callback (a form): `MessageSid` and `MessageStatus`.
pub fn twilio_receipt(form: &[(String, String)]) -> Option<Receipt> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let reference = get("MessageSid").filter(|s| !s.is_empty())?;
    let status = get("MessageStatus")?.to_lowercase();
    let delivered = match status.as_str() {
        "delivered" => Some(true),
        "undelivered" | "failed" => Some(false),
        _ => None,
    };
    Some(Receipt {
        reference,
        status,
        delivered,
    })
}

/// Sends the orientation reminders (`crate::orientation::SmsSender`) through the queue.
pub struct QueuedSms {
    /// Where the queue is.
    pub store: Arc<dyn crate::Store>,
}

#[async_trait]
impl crate::orientation::SmsSender for QueuedSms {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        queue(
            self.store.as_ref(),
            to,
            text,
            Purpose::Transactional,
            None,
            crate::unix_now(),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_stops_growing() {
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(3), 240);
        assert_eq!(backoff(20), 4 * 3600);
        let total: i64 = (0..MAX_ATTEMPTS - 1).map(backoff).sum();
        assert!(
            (20 * 3600..=30 * 3600).contains(&total),
            "{total} s before giving up"
        );
    }

    #[test]
    fn receipts_are_read_as_the_providers_write_them() {
        let b = brevo_receipt(
            br#"{"messageId": 1511882900176220, "msg_status": "delivered", "to": "33612345678"}"#,
        )
        .expect("read");
        assert_eq!(
            (b.reference.as_str(), b.delivered),
            ("1511882900176220", Some(true))
        );
        let b = brevo_receipt(br#"{"messageId": "77", "event": "hard_bounce"}"#).expect("read");
        assert_eq!(b.delivered, Some(false));
        let b = brevo_receipt(br#"{"messageId": 77, "msg_status": "sent"}"#).expect("read");
        assert_eq!(b.delivered, None);
        assert!(brevo_receipt(b"not json").is_none());
        assert!(brevo_receipt(br#"{"msg_status": "delivered"}"#).is_none());
        let form = |s: &str| {
            vec![
                ("MessageSid".to_string(), "SM1".to_string()),
                ("MessageStatus".to_string(), s.to_string()),
            ]
        };
        assert_eq!(
            twilio_receipt(&form("delivered")).expect("r").delivered,
            Some(true)
        );
        assert_eq!(
            twilio_receipt(&form("undelivered")).expect("r").delivered,
            Some(false)
        );
        assert_eq!(twilio_receipt(&form("sent")).expect("r").delivered, None);
        assert!(twilio_receipt(&[]).is_none());
    }
}
