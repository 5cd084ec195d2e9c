//! Addresses to coordinates through a geocoder that speaks the API of the French national
//! address base's open-source geocoder (addok): `GET {base}/search/?q=…&limit=5` answering
//! GeoJSON whose features carry `properties.label`, `score`, `citycode`, `city` and a point.
//! The person picks among the answers; a geocoder that fails, is slow (2 s) or finds nothing
//! never blocks them: the site is then placed by hand.

use std::io::Read;
use std::time::Duration;

/// One address the geocoder proposes.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The address in words ("12 Quai de Lorraine 59140 Dunkerque").
    pub label: String,
    /// How sure the geocoder is, 0 to 1.
    pub score: f64,
    /// The commune's INSEE code.
    pub citycode: String,
    /// The commune's name.
    pub city: String,
    /// The street part of the address (the label when the geocoder gives none).
    pub street: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// How long the geocoder may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The largest answer read.
const MAX_ANSWER: u64 = 512 * 1024;

/// Up to 5 places for an address typed; an error in French when the geocoder cannot answer.
pub async fn search(base: &str, typed: &str, timeout: Duration) -> Result<Vec<Place>, String> {
    let typed: String = typed.trim().chars().take(200).collect();
    if typed.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
        return Ok(Vec::new());
    }
    let url = format!("{}/search/", base.trim_end_matches('/'));
    let answer = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .user_agent("dklik")
            .build();
        let resp = match agent
            .get(&url)
            .query("q", &typed)
            .query("limit", "5")
            .call()
        {
            Ok(r) => r,
            Err(ureq::Error::Status(code, _)) => {
                return Err(format!("le service d'adresses répond {code}"))
            }
            Err(_) => return Err("le service d'adresses ne répond pas".into()),
        };
        let mut body = Vec::new();
        resp.into_reader()
            .take(MAX_ANSWER)
            .read_to_end(&mut body)
            .map_err(|_| "le service d'adresses ne répond pas".to_string())?;
        Ok(body)
    });
    // The blocking call has its own timeouts; this one bounds the whole exchange.
    let body = match tokio::time::timeout(timeout + Duration::from_millis(500), answer).await {
        Ok(Ok(r)) => r?,
        _ => return Err("le service d'adresses ne répond pas".into()),
    };
    parse(&body)
}

/// Reads an addok answer.
pub fn parse(body: &[u8]) -> Result<Vec<Place>, String> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| "le service d'adresses a répondu autre chose que des adresses".to_string())?;
    let Some(features) = v["features"].as_array() else {
        return Err("le service d'adresses a répondu autre chose que des adresses".into());
    };
    Ok(features
        .iter()
        .filter_map(|f| {
            let p = &f["properties"];
            let c = f["geometry"]["coordinates"].as_array()?;
            let (lon, lat) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
            let label = p["label"].as_str()?.to_string();
            Some(Place {
                street: p["name"].as_str().unwrap_or(&label).to_string(),
                label,
                score: p["score"].as_f64().unwrap_or(0.0),
                citycode: p["citycode"].as_str().unwrap_or_default().to_string(),
                city: p["city"].as_str().unwrap_or_default().to_string(),
                lat,
                lon,
            })
        })
        .filter(|p| dklik_domain::Coordinates::new(p.lat, p.lon).is_ok())
        .take(5)
        .collect())
}
