//! France Travail offers arrive by themselves: every hour (`serve --france-travail-…`), the
//! offers around the territory's communes are fetched from France Travail's offers API and
//! saved through the importer that reads that JSON (`dklik import offers`).
//!
//! The API's shape: a token by OAuth2 client credentials (`POST` the token URL with
//! `grant_type=client_credentials`, `client_id`, `client_secret`, `scope`; the answer gives
//! `access_token` and `expires_in`), then `GET {api}/offres/search?commune=…&distance=…&range=a-b`
//! with the token as a bearer: 200 or 206 with `{"resultats": […]}` and
//! `Content-Range: offres a-b/total`, 204 when nothing is found. A page holds at most 150
//! offers and the API gives no offer past index 3149. An expired token (401) is renewed once;
//! 429 and 5xx are retried with a growing wait (or the `Retry-After` asked); a malformed offer
//! is named and left out, the rest is saved. Once every commune was read to its end, the
//! offers seen before and missing now are closed.

use crate::offers::{import_offers, ImportError};
use crate::store::{Store, StoreError};
use dklik_domain::OfferStatus;
use std::collections::HashSet;
use std::io::Read;
use std::time::{Duration, Instant};

/// Offers per page, the API's largest.
pub const PAGE: u32 = 150;
/// The last offer index the API gives.
pub const LAST_INDEX: u32 = 3149;
/// Who closes the offers gone from France Travail, in their history.
pub const ACTOR: &str = "synchronisation France Travail";
/// The largest answer read.
const MAX_ANSWER: u64 = 32 * 1024 * 1024;

/// Where and how to fetch.
#[derive(Debug, Clone)]
pub struct FtConfig {
    /// The token URL, with its realm (`…/access_token?realm=%2Fpartenaire`).
    pub token_url: String,
    /// The offers API's base (`…/offresdemploi/v2`).
    pub api_url: String,
    /// The application's client id.
    pub client_id: String,
    /// The application's secret.
    pub client_secret: String,
    /// The scopes asked for.
    pub scope: String,
    /// The communes' INSEE codes searched around.
    pub communes: Vec<String>,
    /// The distance around each commune, in km.
    pub distance_km: u32,
    /// Each exchange's time limit.
    pub timeout: Duration,
    /// Tries after the first for a 429, a 5xx or no answer.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time.
    pub backoff: Duration,
}

impl FtConfig {
    /// France Travail's addresses and the usual settings, for these credentials and communes.
    pub fn new(client_id: &str, client_secret: &str, communes: Vec<String>) -> Self {
        Self {
            token_url:
                "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
                    .into(),
            api_url: "https://api.francetravail.io/partenaire/offresdemploi/v2".into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: "api_offresdemploiv2 o2dsoffre".into(),
            communes,
            distance_km: 10,
            timeout: Duration::from_secs(30),
            retries: 4,
            backoff: Duration::from_secs(2),
        }
    }
}

/// What one synchronisation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Offers in the answers (each once).
    pub fetched: usize,
    /// Offers saved (new or changed).
    pub saved: usize,
    /// Offers closed because France Travail no longer lists them.
    pub closed: usize,
    /// Offers left out, each named with why.
    pub rejected: Vec<String>,
    /// Every commune was read to its end (only then are missing offers closed).
    pub complete: bool,
    /// Why it is not complete, when it is not.
    pub incomplete_because: Vec<String>,
}

/// Why a synchronisation stopped.
#[derive(Debug, thiserror::Error)]
pub enum FtError {
    /// The API refused or did not answer.
    #[error("France Travail : {0}")]
    Api(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Client {
    cfg: FtConfig,
    agent: ureq::Agent,
    token: Option<(String, Instant)>,
}

/// One page of answers: the offers and the total the API announces.
struct Page {
    offers: Vec<serde_json::Value>,
    total: Option<u32>,
}

fn read_body(resp: ureq::Response) -> Result<Vec<u8>, FtError> {
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut body)
        .map_err(|e| FtError::Api(format!("réponse interrompue ({e})")))?;
    Ok(body)
}

impl Client {
    fn new(cfg: FtConfig) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(cfg.timeout)
            .timeout(cfg.timeout)
            .user_agent("dklik")
            .build();
        Self {
            cfg,
            agent,
            token: None,
        }
    }

    fn wait(&self, attempt: u32, retry_after: Option<&str>) {
        let asked = retry_after
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(120)));
        let grown = self.cfg.backoff * 2u32.saturating_pow(attempt.min(8));
        std::thread::sleep(asked.unwrap_or(grown));
    }

    /// A live token, asked for when there is none or it is about to end.
    fn token(&mut self) -> Result<String, FtError> {
        if let Some((t, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let mut attempt = 0;
        let resp = loop {
            let sent = self.agent.post(&self.cfg.token_url).send_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &self.cfg.client_id),
                ("client_secret", &self.cfg.client_secret),
                ("scope", &self.cfg.scope),
            ]);
            match sent {
                Ok(r) => break r,
                Err(ureq::Error::Status(code, r))
                    if (code == 429 || code >= 500) && attempt < self.cfg.retries =>
                {
                    self.wait(attempt, r.header("Retry-After"));
                }
                Err(ureq::Error::Status(code, _)) => {
                    return Err(FtError::Api(format!(
                        "le jeton d'accès est refusé (réponse {code}) : vérifiez l'identifiant et le secret de l'application"
                    )))
                }
                Err(ureq::Error::Transport(_)) if attempt < self.cfg.retries => {
                    self.wait(attempt, None);
                }
                Err(ureq::Error::Transport(e)) => {
                    return Err(FtError::Api(format!(
                        "le service des jetons ne répond pas ({e})"
                    )))
                }
            }
            attempt += 1;
        };
        let v: serde_json::Value = serde_json::from_slice(&read_body(resp)?)
            .map_err(|_| FtError::Api("le jeton d'accès est illisible".into()))?;
        let token = v["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FtError::Api("la réponse ne donne pas de jeton d'accès".into()))?
            .to_string();
        // Renewed a minute before its end.
        let life = v["expires_in"].as_u64().unwrap_or(600).max(60) - 30;
        self.token = Some((token.clone(), Instant::now() + Duration::from_secs(life)));
        Ok(token)
    }

    /// One page of one commune's offers.
    fn page(&mut self, commune: &str, start: u32, end: u32) -> Result<Page, FtError> {
        let url = format!("{}/offres/search", self.cfg.api_url.trim_end_matches('/'));
        let (mut attempt, mut renewed) = (0, false);
        loop {
            let token = self.token()?;
            let sent = self
                .agent
                .get(&url)
                .query("commune", commune)
                .query("distance", &self.cfg.distance_km.to_string())
                .query("range", &format!("{start}-{end}"))
                .set("Authorization", &format!("Bearer {token}"))
                .set("Accept", "application/json")
                .call();
            match sent {
                Ok(r) if r.status() == 204 => {
                    return Ok(Page {
                        offers: Vec::new(),
                        total: Some(0),
                    })
                }
                Ok(r) => {
                    let total = r
                        .header("Content-Range")
                        .and_then(|h| h.rsplit('/').next())
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    let v: serde_json::Value =
                        serde_json::from_slice(&read_body(r)?).map_err(|_| {
                            FtError::Api(format!(
                                "la page {start}-{end} de la commune {commune} est illisible"
                            ))
                        })?;
                    let offers = v["resultats"].as_array().cloned().unwrap_or_default();
                    return Ok(Page { offers, total });
                }
                Err(ureq::Error::Status(401, _)) if !renewed => {
                    // The token ended early: a new one, once.
                    self.token = None;
                    renewed = true;
                    continue;
                }
                Err(ureq::Error::Status(code, r))
                    if (code == 429 || code >= 500) && attempt < self.cfg.retries =>
                {
                    self.wait(attempt, r.header("Retry-After"));
                }
                Err(ureq::Error::Status(code, _)) => {
                    return Err(FtError::Api(format!(
                        "la recherche de la commune {commune} répond {code}"
                    )))
                }
                Err(ureq::Error::Transport(_)) if attempt < self.cfg.retries => {
                    self.wait(attempt, None);
                }
                Err(ureq::Error::Transport(e)) => {
                    return Err(FtError::Api(format!("la recherche ne répond pas ({e})")))
                }
            }
            attempt += 1;
        }
    }
}

/// Every offer around every commune, each once; and why the list is not whole, if it is not.
fn fetch_all(cfg: FtConfig) -> (Vec<serde_json::Value>, Vec<String>) {
    let communes = cfg.communes.clone();
    let mut client = Client::new(cfg);
    let (mut seen, mut out, mut missing) = (HashSet::new(), Vec::new(), Vec::new());
    for commune in &communes {
        let mut start = 0;
        loop {
            let end = (start + PAGE - 1).min(LAST_INDEX);
            match client.page(commune, start, end) {
                Ok(p) => {
                    let n = p.offers.len() as u32;
                    for o in p.offers {
                        let fresh = match o["id"].as_str() {
                            Some(id) => seen.insert(id.to_string()),
                            None => true,
                        };
                        if fresh {
                            out.push(o);
                        }
                    }
                    let total = p.total.unwrap_or(start + n);
                    if n == 0 || start + n >= total {
                        break;
                    }
                    if end >= LAST_INDEX {
                        missing.push(format!(
                            "commune {commune} : {total} offres, l'API n'en donne que {}",
                            LAST_INDEX + 1
                        ));
                        break;
                    }
                    start = end + 1;
                }
                Err(e) => {
                    missing.push(format!("commune {commune} : {e}"));
                    break;
                }
            }
        }
    }
    (out, missing)
}

/// One synchronisation: fetch, save what is readable (naming the rest), close what is gone.
pub async fn sync(store: &dyn Store, cfg: &FtConfig, now: i64) -> Result<SyncReport, FtError> {
    let cfg2 = cfg.clone();
    let (offers, missing) = tokio::task::spawn_blocking(move || fetch_all(cfg2))
        .await
        .map_err(|e| FtError::Api(format!("tâche interrompue ({e})")))?;
    let mut report = SyncReport {
        fetched: offers.len(),
        complete: missing.is_empty(),
        incomplete_because: missing,
        ..Default::default()
    };
    let mut raws = Vec::new();
    let mut ids = Vec::new();
    for v in offers {
        let id = v["id"].as_str().unwrap_or("sans id").to_string();
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        match dklik_imports::offers::read_france_travail_json(&bytes) {
            Ok(mut r) => {
                for x in &mut r {
                    x.place = format!("offre {id}");
                }
                ids.push(id);
                raws.extend(r);
            }
            Err(errs) => report.rejected.push(format!(
                "offre {id} : {}",
                errs.0
                    .iter()
                    .map(|p| format!("{} {}", p.field, p.message).trim().to_string())
                    .collect::<Vec<_>>()
                    .join(" ; ")
            )),
        }
    }
    // The importer checks against the ROME reference and saves all or nothing: the offers it
    // names are left out and the rest saved.
    for _ in 0..2 {
        if raws.is_empty() {
            break;
        }
        match import_offers(store, raws.clone(), false).await {
            Ok(out) => {
                report.saved = usize::try_from(out.created + out.updated).unwrap_or(usize::MAX);
                break;
            }
            Err(ImportError::Invalid(errs)) => {
                let bad: HashSet<&str> = errs.0.iter().map(|p| p.place.as_str()).collect();
                if !raws.iter().any(|r| bad.contains(r.place.as_str())) {
                    return Err(FtError::Api(format!(
                        "import impossible : {}",
                        errs.0
                            .iter()
                            .map(|p| p.message.clone())
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    )));
                }
                for p in &errs.0 {
                    report
                        .rejected
                        .push(format!("{} : {} {}", p.place, p.field, p.message));
                }
                raws.retain(|r| !bad.contains(r.place.as_str()));
            }
            Err(ImportError::Store(e)) => return Err(e.into()),
        }
    }
    store.mark_france_travail_seen(&ids, now).await?;
    if report.complete {
        for o in store.france_travail_gone(now).await? {
            match store
                .change_offer_status(o.id, OfferStatus::Closed, crate::today_paris(), ACTOR, now)
                .await
            {
                Ok(()) => report.closed += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(report)
}

/// Synchronises now, then every `every`, for as long as the server runs; each run is logged.
pub async fn keep_syncing(store: std::sync::Arc<dyn Store>, cfg: FtConfig, every: Duration) {
    loop {
        match sync(store.as_ref(), &cfg, crate::unix_now()).await {
            Ok(r) => {
                tracing::info!(
                    lues = r.fetched,
                    enregistrees = r.saved,
                    fermees = r.closed,
                    refusees = r.rejected.len(),
                    "offres France Travail synchronisées"
                );
                for why in r.rejected.iter().take(20) {
                    tracing::warn!("offre France Travail refusée : {why}");
                }
                for why in &r.incomplete_because {
                    tracing::warn!("synchronisation France Travail incomplète : {why}");
                }
            }
            Err(e) => tracing::error!("synchronisation France Travail : {e}"),
        }
        tokio::time::sleep(every).await;
    }
}
