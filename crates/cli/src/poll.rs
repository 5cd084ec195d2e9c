//! Fetching a GTFS-realtime VehiclePositions feed at an interval (`serve --gtfs-rt-url`).
//!
//! Each round fetches the URL (http or https, with the ETag of the last answer so an unchanged
//! feed is not downloaded again), decodes the protobuf and feeds the positions to the screens
//! through the same path as a POST. Failures are logged when they start and when they end, and
//! the next round simply tries again.

use dklik_app::screens::ScreenHub;
use dklik_app::Store;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// A feed larger than this is refused (a whole country's buses fit in a few megabytes).
const MAX_FEED_BYTES: u64 = 32 * 1024 * 1024;

/// What one fetch brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The feed's bytes and its ETag, if any.
    Feed(Vec<u8>, Option<String>),
    /// 304: the same as last time.
    Unchanged,
}

/// One GET of the feed, blocking (run it on a blocking thread).
pub fn fetch(agent: &ureq::Agent, url: &str, etag: Option<&str>) -> Result<Fetched, String> {
    let mut req = agent
        .get(url)
        .set("Accept", "application/x-protobuf, application/octet-stream");
    if let Some(t) = etag {
        req = req.set("If-None-Match", t);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => return Err(format!("le serveur répond {code}")),
        Err(e) => return Err(format!("connexion impossible : {e}")),
    };
    if resp.status() == 304 {
        return Ok(Fetched::Unchanged);
    }
    let tag = resp.header("ETag").map(str::to_string);
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_FEED_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("lecture interrompue : {e}"))?;
    if body.len() as u64 > MAX_FEED_BYTES {
        return Err("flux trop gros (plus de 32 Mo)".into());
    }
    Ok(Fetched::Feed(body, tag))
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .user_agent("dklik")
        .build()
}

/// Fetches, decodes and ingests the feed every `every`, until the process stops.
pub async fn gtfs_rt_forever(
    url: String,
    every: Duration,
    hub: Arc<ScreenHub>,
    store: Arc<dyn Store>,
) {
    let agent = agent();
    let mut etag: Option<String> = None;
    let mut failing = false;
    loop {
        let (a, u, t) = (agent.clone(), url.clone(), etag.clone());
        let got = tokio::task::spawn_blocking(move || fetch(&a, &u, t.as_deref()))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let outcome = match got {
            Ok(Fetched::Unchanged) => Ok(()),
            Ok(Fetched::Feed(bytes, tag)) => match dklik_transit::realtime::gtfs_rt::decode(&bytes)
            {
                Ok(d) => {
                    etag = tag;
                    let now = dklik_app::unix_now();
                    let positions = dklik_app::screens::positions_of(d.reports, now);
                    hub.ingest_many(store.as_ref(), &positions, now)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(format!("flux illisible : {e}")),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) if failing => {
                tracing::info!("GTFS-realtime : {url} répond de nouveau");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!("GTFS-realtime : {url} : {e} (nouvel essai toutes les {every:?})");
                failing = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(every).await;
    }
}
