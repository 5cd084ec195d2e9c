//! "Nouvelles offres près de chez vous": once a week at most, a person who agreed to
//! information texts gets one listing the offers published in the last week near their
//! neighbourhood. It is an information text: `sms::queue` checks the consent, keeps it for the
//! allowed hours and adds the way to stop. Run once a day by `crate::jobs`.

use crate::sms::{queue, QueueError};
use crate::store::{Store, StoreError};
use dklik_domain::geo::Coordinates;
use dklik_domain::sms::Purpose;
use dklik_domain::{Offer, OfferFilter};

const DAY: i64 = 24 * 3600;
/// Days between two news texts to the same person, and how far back offers are new.
pub const EVERY_DAYS: i64 = 7;
/// "Near": within this distance of the person's neighbourhood.
pub const NEAR_M: f64 = 10_000.0;
/// Offers named in one text (the others are counted).
pub const NAMED: usize = 2;
/// New offers read at most (pages of 200, newest first).
const MAX_READ: u32 = 5_000;

fn short(t: &str, n: usize) -> String {
    if t.chars().count() <= n {
        t.to_string()
    } else {
        format!(
            "{}...",
            t.chars().take(n - 3).collect::<String>().trim_end()
        )
    }
}

/// The text for these offers, nearest first.
pub fn news_text(first_name: &str, near: &[&Offer], base_url: &str) -> String {
    let named: Vec<String> = near
        .iter()
        .take(NAMED)
        .map(|o| format!("{} ({})", short(&o.title, 35), o.site.commune))
        .collect();
    let more = near.len().saturating_sub(NAMED);
    let hello = if first_name.is_empty() {
        "Bonjour".to_string()
    } else {
        format!("Bonjour {first_name}")
    };
    format!(
        "DKLIK : {hello}, {} nouvelle{} offre{} près de chez vous : {}{}. Voir : {base_url}/offres",
        near.len(),
        if near.len() > 1 { "s" } else { "" },
        if near.len() > 1 { "s" } else { "" },
        named.join(", "),
        if more > 0 {
            format!(" et {more} autre{}", if more > 1 { "s" } else { "" })
        } else {
            String::new()
        }
    )
}

/// Queues this week's news texts; returns how many.
pub async fn weekly(store: &dyn Store, base_url: &str, now: i64) -> Result<u32, StoreError> {
    let readers = store.sms_news_readers(now - EVERY_DAYS * DAY).await?;
    if readers.is_empty() {
        return Ok(0);
    }
    let since = time::OffsetDateTime::from_unix_timestamp(now - EVERY_DAYS * DAY)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    let mut fresh: Vec<Offer> = Vec::new();
    let mut offset = 0;
    'pages: while offset < MAX_READ {
        let page = store
            .list_offers(&OfferFilter {
                limit: 200,
                offset,
                ..Default::default()
            })
            .await?;
        if page.offers.is_empty() {
            break;
        }
        for o in page.offers {
            match o.published_on {
                Some(d) if d >= since => fresh.push(o),
                _ => break 'pages,
            }
        }
        offset += 200;
    }
    let mut queued = 0;
    for r in &readers {
        let Ok(home) = Coordinates::new(r.at.0, r.at.1) else {
            continue;
        };
        let mut near: Vec<(f64, &Offer)> = fresh
            .iter()
            .map(|o| (home.distance_m(&o.site.coordinates), o))
            .filter(|(d, _)| *d <= NEAR_M)
            .collect();
        if near.is_empty() {
            continue;
        }
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        let offers: Vec<&Offer> = near.iter().map(|(_, o)| *o).collect();
        let text = news_text(&r.first_name, &offers, base_url);
        match queue(
            store,
            &r.phone,
            &text,
            Purpose::Information,
            Some(r.person),
            now,
        )
        .await
        {
            Ok(_) => queued += 1,
            Err(QueueError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::info!(error = %e, "nouvelles offres par SMS : pas pour cette personne")
            }
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_are_cut_at_a_word_end_with_dots() {
        assert_eq!(short("Soudeur TIG", 35), "Soudeur TIG");
        assert_eq!(short(&"a".repeat(50), 10), "aaaaaaa...");
    }
}
