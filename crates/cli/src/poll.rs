//! Fetching vehicle positions at an interval: a GTFS-realtime VehiclePositions feed
//! (`serve --gtfs-rt-url`) or a SIRI Vehicle Monitoring service (`serve --siri-vm-url`).
//!
//! Each round fetches the URL (a GET, with the ETag of the last answer so an unchanged feed is
//! not downloaded again; for SIRI either a POST of a `GetVehicleMonitoring` ServiceRequest or a
//! plain GET of a SIRI Lite delivery), decodes it and feeds the positions to the screens through
//! the same path as a POST to the API. Failures (an error status, no answer within the time
//! allowed, a body that cannot be read) are logged when they start and when they end, and the
//! next round simply tries again.

use dklik_app::screens::ScreenHub;
use dklik_app::Store;
use dklik_transit::realtime::{gtfs_rt, siri, Decoded};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// A feed larger than this is refused (a whole country's buses fit in a few megabytes).
const MAX_FEED_BYTES: u64 = 32 * 1024 * 1024;

/// What is polled, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// GET of a GTFS-realtime FeedMessage (protobuf).
    GtfsRt,
    /// POST of a SIRI `GetVehicleMonitoring` ServiceRequest; the answer is SIRI XML.
    SiriRequest {
        /// Who asks (`RequestorRef`), as the operator registered it.
        requestor: String,
        /// The vehicle-monitoring topic (`VehicleMonitoringRef`), when the service wants one.
        monitoring_ref: Option<String>,
    },
    /// GET of a SIRI Lite delivery (JSON, or XML).
    SiriGet,
}

/// A source of positions polled by [`poll_forever`].
#[derive(Debug, Clone)]
pub struct Source {
    /// http or https.
    pub url: String,
    /// Its format and method.
    pub kind: Kind,
    /// Time between two rounds.
    pub every: Duration,
}

impl Source {
    /// The name said in the log.
    pub fn label(&self) -> &'static str {
        match self.kind {
            Kind::GtfsRt => "GTFS-realtime",
            Kind::SiriRequest { .. } | Kind::SiriGet => "SIRI-VM",
        }
    }

    /// How long one fetch may take: the interval, between 2 and 20 seconds.
    pub fn timeout(&self) -> Duration {
        self.every
            .clamp(Duration::from_secs(2), Duration::from_secs(20))
    }
}

/// What one fetch brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The feed's bytes and its ETag, if any.
    Feed(Vec<u8>, Option<String>),
    /// 304: the same as last time.
    Unchanged,
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The body of a SIRI 2.0 `GetVehicleMonitoring` ServiceRequest.
pub fn siri_request(requestor: &str, monitoring_ref: Option<&str>, now: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let topic = monitoring_ref
        .map(|r| {
            format!(
                "\n      <VehicleMonitoringRef>{}</VehicleMonitoringRef>",
                xml_text(r)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Siri xmlns="http://www.siri.org.uk/siri" version="2.0">
  <ServiceRequest>
    <RequestTimestamp>{at}</RequestTimestamp>
    <RequestorRef>{}</RequestorRef>
    <VehicleMonitoringRequest version="2.0">
      <RequestTimestamp>{at}</RequestTimestamp>{topic}
    </VehicleMonitoringRequest>
  </ServiceRequest>
</Siri>
"#,
        xml_text(requestor)
    )
}

/// One fetch of the source, blocking (run it on a blocking thread).
pub fn fetch(agent: &ureq::Agent, src: &Source, etag: Option<&str>) -> Result<Fetched, String> {
    let answer = match &src.kind {
        Kind::GtfsRt | Kind::SiriGet => {
            let accept = match src.kind {
                Kind::GtfsRt => "application/x-protobuf, application/octet-stream",
                _ => "application/json, application/xml, text/xml",
            };
            let mut req = agent.get(&src.url).set("Accept", accept);
            if let Some(t) = etag {
                req = req.set("If-None-Match", t);
            }
            req.call()
        }
        Kind::SiriRequest {
            requestor,
            monitoring_ref,
        } => agent
            .post(&src.url)
            .set("Content-Type", "application/xml; charset=utf-8")
            .set("Accept", "application/xml, text/xml")
            .send_string(&siri_request(
                requestor,
                monitoring_ref.as_deref(),
                dklik_app::unix_now(),
            )),
    };
    let resp = match answer {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => return Err(format!("le serveur répond {code}")),
        Err(e) if e.to_string().contains("timed out") => {
            return Err(format!("pas de réponse en {} s", src.timeout().as_secs()))
        }
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
        .map_err(|e| {
            if e.to_string().contains("timed out") {
                format!("pas de réponse complète en {} s", src.timeout().as_secs())
            } else {
                format!("lecture interrompue : {e}")
            }
        })?;
    if body.len() as u64 > MAX_FEED_BYTES {
        return Err("flux trop gros (plus de 32 Mo)".into());
    }
    Ok(Fetched::Feed(body, tag))
}

/// Reads what a fetch brought, in the source's format.
pub fn decode(kind: &Kind, body: &[u8]) -> Result<Decoded, String> {
    match kind {
        Kind::GtfsRt => gtfs_rt::decode(body),
        Kind::SiriRequest { .. } => siri::decode(body),
        Kind::SiriGet => siri::decode_any(body),
    }
    .map_err(|e| format!("flux illisible : {e}"))
}

/// The HTTP client of a source: its time allowed for connecting and for the whole answer.
pub fn agent(src: &Source) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5).min(src.timeout()))
        .timeout(src.timeout())
        .user_agent("dklik")
        .build()
}

/// Fetches, decodes and ingests the source every `src.every`, until the process stops.
pub async fn poll_forever(src: Source, hub: Arc<ScreenHub>, store: Arc<dyn Store>) {
    let agent = agent(&src);
    let mut etag: Option<String> = None;
    let mut failing = false;
    let (label, url) = (src.label(), src.url.clone());
    loop {
        let (a, s, t) = (agent.clone(), src.clone(), etag.clone());
        let got = tokio::task::spawn_blocking(move || fetch(&a, &s, t.as_deref()))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let outcome = match got {
            Ok(Fetched::Unchanged) => Ok(()),
            Ok(Fetched::Feed(bytes, tag)) => match decode(&src.kind, &bytes) {
                Ok(d) => {
                    etag = tag;
                    let now = dklik_app::unix_now();
                    let positions = dklik_app::screens::positions_of(d.reports, now);
                    hub.ingest_many(store.as_ref(), &positions, now)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) if failing => {
                tracing::info!("{label} : {url} répond de nouveau");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!(
                    "{label} : {url} : {e} (nouvel essai toutes les {} s)",
                    src.every.as_secs()
                );
                failing = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(src.every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};

    /// A SIRI service on loopback answering each connection in turn with `answers`: (status,
    /// body, seconds to wait first). Returns its URL and the bodies it received.
    fn siri_service(
        answers: Vec<(&'static str, String, u64)>,
    ) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/siri/vm", listener.local_addr().expect("addr"));
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let got2 = got.clone();
        std::thread::spawn(move || {
            for ((status, body, wait), conn) in answers.into_iter().zip(listener.incoming()) {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut sent = vec![0u8; length];
                let _ = reader.read_exact(&mut sent);
                got2.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&sent).into_owned());
                std::thread::sleep(Duration::from_secs(wait));
                let _ = conn.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        (url, got)
    }

    const DELIVERY: &str = r#"<?xml version="1.0"?>
<Siri xmlns="http://www.siri.org.uk/siri" version="2.0"><ServiceDelivery>
<VehicleMonitoringDelivery version="2.0"><VehicleActivity>
<RecordedAtTime>2026-11-30T08:00:00+01:00</RecordedAtTime>
<MonitoredVehicleJourney><LineRef>C1</LineRef><VehicleRef>DK-7</VehicleRef>
<VehicleLocation><Longitude>2.2691</Longitude><Latitude>51.0301</Latitude></VehicleLocation>
</MonitoredVehicleJourney></VehicleActivity></VehicleMonitoringDelivery>
</ServiceDelivery></Siri>"#;

    fn siri_source(url: &str) -> Source {
        Source {
            url: url.to_string(),
            kind: Kind::SiriRequest {
                requestor: "DKLIK & co".into(),
                monitoring_ref: Some("RESEAU".into()),
            },
            every: Duration::from_secs(1),
        }
    }

    /// A good delivery, a 500, no answer within the time allowed, malformed XML: each said.
    #[test]
    fn a_siri_service_is_asked_and_each_failure_is_said() {
        let (url, got) = siri_service(vec![
            ("200 OK", DELIVERY.to_string(), 0),
            ("500 Internal Server Error", "panne".into(), 0),
            ("200 OK", DELIVERY.to_string(), 4),
            ("200 OK", "<Siri><ServiceDelivery>".into(), 0),
            ("200 OK", "<Autre/>".into(), 0),
        ]);
        let src = siri_source(&url);
        let agent = agent(&src);
        let read = |n: usize| -> Result<Decoded, String> {
            match fetch(&agent, &src, None) {
                Ok(Fetched::Feed(b, _)) => decode(&src.kind, &b),
                Ok(Fetched::Unchanged) => panic!("round {n}: a POST is never 304"),
                Err(e) => Err(e),
            }
        };
        let good = read(0).expect("a good delivery");
        assert_eq!(good.reports.len(), 1);
        assert_eq!(good.reports[0].vehicle, "DK-7");
        assert_eq!(read(1).err().as_deref(), Some("le serveur répond 500"));
        let slow = read(2).err().unwrap_or_default();
        assert!(slow.starts_with("pas de réponse"), "{slow}");
        let broken = read(3).err().unwrap_or_default();
        assert!(broken.starts_with("flux illisible"), "{broken}");
        let other = read(4).err().unwrap_or_default();
        assert!(other.contains("pas un message SIRI"), "{other}");
        // What was asked: a GetVehicleMonitoring ServiceRequest the CEN schema's shape reads,
        // with its requestor written safely.
        let asked = got.lock().expect("lock")[0].clone();
        assert!(
            asked.contains("<RequestorRef>DKLIK &amp; co</RequestorRef>"),
            "{asked}"
        );
        assert!(
            asked.contains("<VehicleMonitoringRequest version=\"2.0\">"),
            "{asked}"
        );
        assert!(
            asked.contains("<VehicleMonitoringRef>RESEAU</VehicleMonitoringRef>"),
            "{asked}"
        );
        // The request is itself SIRI: our decoder reads it as a message with no vehicle.
        let as_siri = siri::decode(asked.as_bytes()).expect("the request is SIRI XML");
        assert!(as_siri.reports.is_empty());
    }
}
