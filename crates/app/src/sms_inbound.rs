//! Texts people send to the programme's number, as the provider hands them over.
//!
//! - An offer code (the 6 characters on the bus screen or the poster, however typed) becomes a
//!   call-back request like the form's, channel "SMS", with the bus and the stop when the offer
//!   was on a screen in the last hour. The reply confirms it and asks the person's agreement by
//!   a "OUI": until then the request waits in the advisors' inbox marked "accord attendu" and no
//!   consent is recorded.
//! - "OUI" gives that agreement to the person's requests by text of the last week.
//! - "STOP" stops every text to the number at once.
//! - Anything else (words, a code that matches no open offer) goes to the advisors' inbox as a
//!   message, and the person is told so.
//!
//! A text posted twice by the provider (same reference) makes one request and one reply. A
//! number sending more than [`DAILY_LIMIT`] texts a day is not read further that day.

use crate::interests::callback_due;
use crate::sms::{queue, QueueError};
use crate::store::{Store, StoreError};
use dklik_domain::interest::{BestTime, CONSENT_AWAITED};
use dklik_domain::sms::{self, Purpose, Reply};
use dklik_domain::{Channel, NewInterest, Offer, OfferStatus, ShortCode};

/// Texts read per number and per day (requests and messages); beyond, they are only logged.
pub const DAILY_LIMIT: u64 = 10;
/// Offer codes read in one text.
pub const CODES_PER_TEXT: usize = 3;
/// A code shown on a screen this recently names the bus and the stop in the request.
pub const SHOWN_WITHIN_S: i64 = 3600;
/// "OUI" answers the requests by text of this many seconds.
pub const AGREEMENT_WINDOW_S: i64 = 7 * 24 * 3600;
/// A message kept for the advisors is cut at this many characters.
pub const MESSAGE_MAX: usize = 1000;

/// What a received text did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The number is stopped.
    Stopped,
    /// Agreement given to this many requests.
    Agreed(u64),
    /// Call-back requests recorded (request rows, offer codes); `fresh` false when the text
    /// had already been taken (posted again by the provider).
    Requested {
        /// The requests' rows.
        ids: Vec<i64>,
        /// The codes, in the order of the text.
        codes: Vec<String>,
        /// Whether the text was new.
        fresh: bool,
    },
    /// Kept for the advisors as a message (`unknown_code`: the code it seemed to carry).
    Message {
        /// The request's row.
        id: i64,
        /// A code that matched no open offer, if the text looked like one.
        unknown_code: Option<String>,
        /// Whether the text was new.
        fresh: bool,
    },
    /// Not read, and why (a sender that is not a French mobile, an empty text, too many texts).
    Ignored(&'static str),
}

/// One received text, as the web layer read it from the provider's post.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// "brevo" or "twilio".
    pub provider: &'a str,
    /// The provider's reference of the text, when it gives one (a post sent again has it too).
    pub reference: Option<&'a str>,
    /// The sender as the provider writes it ("+33612345678").
    pub from: &'a str,
    /// The text.
    pub text: &'a str,
}

fn open_for_requests(o: &Offer) -> bool {
    matches!(o.status, OfferStatus::Published | OfferStatus::Paused)
}

/// The words of the text cleaned for an advisor to read: no control characters, cut.
fn clean_message(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_MAX)
        .collect();
    kept.trim().to_string()
}

fn short_title(t: &str) -> String {
    if t.chars().count() <= 40 {
        t.to_string()
    } else {
        format!("{}…", t.chars().take(39).collect::<String>().trim_end())
    }
}

/// Reads a received text, records what it says and queues the reply. `now` in Unix seconds.
pub async fn take_text(store: &dyn Store, r: Received<'_>, now: i64) -> Result<Taken, StoreError> {
    // "33612345678" as the provider writes it; "06 12 34 56 78" as records keep it.
    let Some((intl, national)) =
        sms::international(r.from).and_then(|i| Some((i.clone(), sms::national(&i)?)))
    else {
        return Ok(Taken::Ignored(
            "l'expéditeur n'est pas un portable français",
        ));
    };
    if r.text.trim().is_empty() {
        return Ok(Taken::Ignored("SMS vide"));
    }
    // The offer codes the text may carry, looked up before it is read.
    let candidates = sms::code_candidates(r.text);
    let mut offers: Vec<Offer> = Vec::new();
    for c in &candidates {
        if let Ok(code) = ShortCode::parse(c) {
            if let Some(o) = store.offer_by_code(&code).await? {
                if open_for_requests(&o) {
                    offers.push(o);
                }
            }
        }
    }
    let reply = sms::read_reply(r.text, |w| offers.iter().any(|o| o.code.as_str() == w));
    match reply {
        Reply::Stop => {
            store.sms_stop(&intl, now).await?;
            return Ok(Taken::Stopped);
        }
        Reply::Yes => {
            let n = store
                .sms_agree(&national, now - AGREEMENT_WINDOW_S, now)
                .await?;
            let text = if n == 0 {
                "DKLIK : merci. Nous n'avons pas de demande qui attend votre accord. Envoyez le code d'une offre pour être rappelé."
            } else {
                "DKLIK : merci, c'est noté. Un conseiller vous appelle dans les 2 jours ouvrés à ce numéro."
            };
            answer(store, &intl, text, now).await?;
            return Ok(Taken::Agreed(n));
        }
        _ => {}
    }
    if store.sms_requests_since(&national, now - 24 * 3600).await? >= DAILY_LIMIT {
        tracing::warn!("SMS reçus : limite du jour atteinte pour un numéro, SMS non lu");
        return Ok(Taken::Ignored("trop de SMS aujourd'hui depuis ce numéro"));
    }
    let submission = |what: &str| {
        r.reference
            .filter(|x| !x.trim().is_empty())
            .map(|x| format!("sms:{}:{}:{what}", r.provider, x.trim()))
    };
    let base = NewInterest {
        offer_id: None,
        first_name: String::new(),
        phone: Some(national.clone()),
        email: None,
        best_time: BestTime::Any,
        consent_version: CONSENT_AWAITED.into(),
        channel: Channel::Sms,
        channel_detail: "SMS au numéro du programme".into(),
        impression: None,
        submission: None,
        message: None,
    };
    let codes: Vec<String> = match reply {
        Reply::Code(c) => vec![c],
        Reply::Codes(cs) => cs.into_iter().take(CODES_PER_TEXT).collect(),
        _ => Vec::new(),
    };
    if codes.is_empty() {
        let unknown_code = candidates.into_iter().find(|w| sms::looks_like_code(w));
        let mut i = base;
        i.message = Some(clean_message(r.text));
        i.submission = submission("message");
        let (id, fresh) = store.sms_request(&i, now, callback_due()).await?;
        if fresh {
            let text = match &unknown_code {
                Some(c) => format!(
                    "DKLIK : le code {c} ne correspond à aucune offre ouverte. Vérifiez-le sur l'écran ou l'affiche. Un conseiller lit aussi votre message. Répondez OUI pour qu'il vous rappelle à ce numéro."
                ),
                None => "DKLIK : message reçu. Un conseiller le lit et vous répond dans les 2 jours ouvrés. Répondez OUI pour qu'il vous rappelle à ce numéro.".to_string(),
            };
            answer(store, &intl, &text, now).await?;
        }
        return Ok(Taken::Message {
            id,
            unknown_code,
            fresh,
        });
    }
    let mut ids = Vec::new();
    let mut fresh = false;
    let mut titles = Vec::new();
    for code in &codes {
        let Some(o) = offers.iter().find(|o| o.code.as_str() == code) else {
            continue;
        };
        let mut i = base.clone();
        i.offer_id = Some(o.id);
        i.submission = submission(code);
        if let Some(shown) = store.offer_shown_since(o.id, now - SHOWN_WITHIN_S).await? {
            i.channel_detail = format!("SMS après l'écran : {}", shown.detail())
                .chars()
                .take(200)
                .collect();
            i.impression = Some(shown.code);
        }
        let (id, new) = store.sms_request(&i, now, callback_due()).await?;
        ids.push(id);
        fresh |= new;
        titles.push(format!("« {} » ({code})", short_title(&o.title)));
    }
    if fresh {
        let text = format!(
            "DKLIK : demande reçue pour {}. Répondez OUI pour qu'un conseiller vous rappelle à ce numéro dans les 2 jours ouvrés (il ne sert qu'à cela).",
            titles.join(" et ")
        );
        answer(store, &intl, &text, now).await?;
    }
    Ok(Taken::Requested { ids, codes, fresh })
}

/// Queues a reply; a number that answered STOP gets none.
async fn answer(store: &dyn Store, to: &str, text: &str, now: i64) -> Result<(), StoreError> {
    match queue(store, to, text, Purpose::Transactional, None, now).await {
        Ok(_) | Err(QueueError::Stopped) => Ok(()),
        Err(QueueError::Store(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "réponse par SMS non mise en file");
            Ok(())
        }
    }
}
