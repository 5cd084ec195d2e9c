//! The public offer search, in memory: an index of the published offers, rebuilt from the
//! database when they change, so that a search costs microseconds whatever the query (the SQL
//! path, `Store::list_offers`, scans every offer's words with `LIKE`).
//!
//! Matching works on the words of `dklik_domain::text::terms` (accents, case, plurals and
//! job-title genders folded): a query word matches a word of an offer that starts with it; a
//! word of 5 letters or more also matches a word one letter away (a typo). Each offer is found by
//! its title, its ROME appellation and job sheet, and every other appellation of that job sheet
//! (so "cariste" finds "Conducteur / Conductrice de chariot élévateur"), its employer, commune,
//! description and skills, each with a weight. Every query word must match; offers are ranked
//! by the sum of their best weights, then the most recent first. Facet counts are those of the
//! current query (each facet counted with the other filters applied).
//!
//! Freshness: [`keep_fresh`] asks the database every second for a cheap version (published
//! offers, last change) and rebuilds when it moved, so a change made on any server sharing the
//! database is searchable within about two seconds. Until the first build, callers use SQL.

use crate::store::{Facets, OfferPage, Store, StoreError};
use crate::words::{Words, WordsBuilder};
use dklik_domain::{ContractType, EmployerId, Offer, OfferFilter, OfferId, RomeCode, ShiftPeriod};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Weights of where a word was found.
const W_TITLE: f32 = 4.0;
const W_APPELLATION: f32 = 3.0;
const W_JOB_SHEET: f32 = 2.0;
const W_SYNONYM: f32 = 1.5;
const W_PLACE: f32 = 1.0;
const W_TEXT: f32 = 0.5;

/// One offer as the index holds it: the offer, and what the filters and facets read.
struct Doc {
    offer: Arc<Offer>,
    id: OfferId,
    no_diploma: bool,
    insee: String,
    /// Its commune's place in `Snapshot::communes`.
    commune: u32,
    family: Option<char>,
    contract: ContractType,
    periods: i64,
    employer: EmployerId,
    rome: RomeCode,
}

/// What a search found.
pub struct Found {
    /// The page's offers, in order.
    pub ids: Vec<OfferId>,
    /// Offers matching, on every page.
    pub total: u64,
    /// The facets of the query.
    pub facets: Facets,
}

/// One state of the index: built whole, then swapped in.
struct Snapshot {
    /// Published offers, most recent first (the SQL order: published on, then id).
    docs: Vec<Doc>,
    /// The words of the offers (a document is an offer's place in `docs`).
    words: Words,
    /// The ROME families' labels.
    family_labels: HashMap<char, String>,
    /// The communes of the offers' sites: INSEE code and name (the first in alphabetical order
    /// when sites of one code are named differently).
    communes: Vec<(String, String)>,
    version: (i64, i64),
    /// Rankings of the queries asked of this state.
    ranked: std::sync::Mutex<HashMap<String, Arc<Ranked>>>,
}

/// The index of published offers; empty (and not ready) until first built.
#[derive(Default)]
pub struct OfferIndex {
    snap: RwLock<Option<Arc<Snapshot>>>,
}

impl OfferIndex {
    /// Whether a search can be answered from memory.
    pub fn ready(&self) -> bool {
        self.current().is_some()
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.snap.read().ok().and_then(|s| s.clone())
    }

    /// Rebuilds the index when the offers changed since it was built (or `force`). Returns
    /// whether it was rebuilt.
    pub async fn refresh(&self, store: &dyn Store, force: bool) -> Result<bool, StoreError> {
        let version = store.offers_version().await?;
        if !force && self.current().is_some_and(|s| s.version == version) {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let offers = store.published_offers(true).await?;
        let read_ms = started.elapsed().as_millis() as u64;
        let mut codes: Vec<RomeCode> = offers.iter().map(|o| o.rome.clone()).collect();
        codes.sort();
        codes.dedup();
        let appellations = store.rome_appellations(&codes).await?;
        let domains = store.rome_domains().await?;
        let snap = tokio::task::spawn_blocking(move || {
            let mut synonyms: HashMap<RomeCode, Vec<String>> = HashMap::new();
            for a in appellations {
                synonyms.entry(a.rome).or_default().push(a.label);
            }
            let family_labels = domains
                .into_iter()
                .filter_map(|d| {
                    let mut c = d.code.chars();
                    match (c.next(), c.next()) {
                        (Some(letter), None) => Some((letter, d.label)),
                        _ => None,
                    }
                })
                .collect();
            build(offers, &synonyms, family_labels, version)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("index des offres : {e}")))?;
        tracing::info!(
            offers = snap.docs.len(),
            words = snap.words.len(),
            read_ms,
            ms = started.elapsed().as_millis() as u64,
            "index des offres à jour"
        );
        let old = match self.snap.write() {
            Ok(mut s) => s.replace(Arc::new(snap)),
            Err(_) => None,
        };
        drop(old);
        crate::release_memory();
        Ok(true)
    }

    /// The offers matching `filter` (its page) and the facets of that query; `None` until the
    /// index is built.
    pub fn search(&self, filter: &OfferFilter) -> Option<(OfferPage, Facets)> {
        self.search_typed(filter, "")
    }

    /// The same, knowing the words as typed (`filter.terms` are their stems), for typos.
    pub fn search_typed(&self, filter: &OfferFilter, typed: &str) -> Option<(OfferPage, Facets)> {
        self.search_within(filter, typed, None)
    }

    /// The same among some offers only (`only`: a name for the set, and the set — the offers
    /// reachable by bus from a place); the facets count within them too.
    pub fn search_within(
        &self,
        filter: &OfferFilter,
        typed: &str,
        only: Option<(&str, &std::collections::HashSet<dklik_domain::OfferId>)>,
    ) -> Option<(OfferPage, Facets)> {
        let snap = self.current()?;
        let (page, total, facets) = search_docs(&snap, filter, typed, only);
        let offers = page
            .iter()
            .map(|&d| Offer::clone(&snap.docs[d as usize].offer))
            .collect();
        Some((OfferPage { offers, total }, facets))
    }

    /// A published offer by its short code, as last indexed (used when the database cannot be
    /// reached, so that offer pages and the call-back form keep working during an outage).
    pub fn by_code(&self, code: &dklik_domain::ShortCode) -> Option<Offer> {
        let snap = self.current()?;
        snap.docs
            .iter()
            .find(|d| &d.offer.code == code)
            .map(|d| Offer::clone(&d.offer))
    }

    /// The ids of the page's offers, how many match, and the facets; `None` until built.
    pub fn find(&self, filter: &OfferFilter, typed: &str) -> Option<Found> {
        let snap = self.current()?;
        Some(search(&snap, filter, typed))
    }
}

fn build(
    offers: Vec<Offer>,
    synonyms: &HashMap<RomeCode, Vec<String>>,
    family_labels: HashMap<char, String>,
    version: (i64, i64),
) -> Snapshot {
    let mut words = WordsBuilder::default();
    let mut communes: Vec<(String, String)> = Vec::new();
    let mut commune_of: HashMap<String, u32> = HashMap::new();
    let mut docs = Vec::with_capacity(offers.len());
    for (i, o) in offers.into_iter().enumerate() {
        let id = i as u32;
        let mut add = |text: &str, w: f32, shared: bool| words.add(id, text, w, shared);
        add(&o.title, W_TITLE, false);
        add(&o.appellation_label, W_APPELLATION, true);
        add(&o.rome_label, W_JOB_SHEET, true);
        if let Some(list) = synonyms.get(&o.rome) {
            for s in list {
                add(s, W_SYNONYM, true);
            }
        }
        add(&o.employer_name, W_PLACE, true);
        add(&o.site.commune, W_PLACE, true);
        add(&o.description, W_TEXT, false);
        for it in &o.items {
            add(&it.label, W_TEXT, true);
        }
        let insee = o.site.insee.as_str().to_string();
        let commune = *commune_of.entry(insee.clone()).or_insert_with(|| {
            communes.push((insee.clone(), o.site.commune.clone()));
            communes.len() as u32 - 1
        });
        if o.site.commune < communes[commune as usize].1 {
            communes[commune as usize].1 = o.site.commune.clone();
        }
        docs.push(Doc {
            insee,
            commune,
            family: o.rome.as_str().chars().next(),
            contract: o.contract,
            periods: o
                .shifts
                .iter()
                .fold(0, |acc, s| acc | ShiftPeriod::of(s.start).bit()),
            employer: o.employer_id,
            rome: o.rome.clone(),
            id: o.id,
            no_diploma: o.no_diploma,
            offer: Arc::new(o),
        });
    }
    Snapshot {
        docs,
        words: words.finish(),
        communes,
        family_labels,
        version,
        ranked: Default::default(),
    }
}

/// Which of the filter's conditions an offer meets, facet by facet.
struct Pass {
    commune: bool,
    family: bool,
    rest: bool,
}

fn pass(d: &Doc, f: &OfferFilter) -> Pass {
    Pass {
        commune: f.insee.as_deref().is_none_or(|i| d.insee == i),
        family: f.family.is_none_or(|c| d.family == Some(c)),
        rest: f.contract.is_none_or(|c| d.contract == c)
            && f.period.is_none_or(|p| d.periods & p.bit() != 0)
            && (!f.no_diploma || d.no_diploma)
            && f.employer.is_none_or(|e| d.employer == e)
            && f.rome.as_ref().is_none_or(|r| &d.rome == r),
    }
}

/// A query's matches in order, with its facets: kept per index state, so that the next pages
/// and the same search again cost a slice.
struct Ranked {
    docs: Vec<u32>,
    facets: Facets,
}

/// Queries whose ranking is kept, per index state (beyond it the cache starts again).
const RANKED_KEPT: usize = 2_000;
/// Offers held by the kept rankings together (about 16 MB): at 100,000 offers a query matching
/// most of them holds 400 KB, and 2,000 such would hold most of a gigabyte.
const RANKED_DOCS_KEPT: usize = 4_000_000;

fn search(snap: &Snapshot, f: &OfferFilter, typed: &str) -> Found {
    let (page, total, facets) = search_docs(snap, f, typed, None);
    Found {
        ids: page.iter().map(|&d| snap.docs[d as usize].id).collect(),
        total,
        facets,
    }
}

/// The page's offers (their places in the index), how many match, and the facets.
fn search_docs(
    snap: &Snapshot,
    f: &OfferFilter,
    typed: &str,
    only: Option<(&str, &std::collections::HashSet<dklik_domain::OfferId>)>,
) -> (Vec<u32>, u64, Facets) {
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}|{}",
        f.terms,
        f.insee,
        f.family,
        f.contract,
        f.period,
        f.no_diploma,
        f.employer,
        f.rome,
        typed,
        only.map_or("", |o| o.0)
    );
    let cached = snap.ranked.lock().ok().and_then(|m| m.get(&key).cloned());
    let ranked = match cached {
        Some(r) => r,
        None => {
            let r = Arc::new(rank(snap, f, typed, only.map(|o| o.1)));
            if let Ok(mut m) = snap.ranked.lock() {
                let held: usize = m.values().map(|x| x.docs.len()).sum();
                if m.len() >= RANKED_KEPT || held + r.docs.len() > RANKED_DOCS_KEPT {
                    m.clear();
                }
                m.insert(key, r.clone());
            }
            r
        }
    };
    (
        ranked
            .docs
            .iter()
            .skip(f.offset as usize)
            .take(f.limit as usize)
            .copied()
            .collect(),
        ranked.docs.len() as u64,
        ranked.facets.clone(),
    )
}

fn rank(
    snap: &Snapshot,
    f: &OfferFilter,
    typed: &str,
    only: Option<&std::collections::HashSet<dklik_domain::OfferId>>,
) -> Ranked {
    // Offers holding every query word, with their score.
    let candidates = snap.words.matching(&f.terms, typed, snap.docs.len());
    let mut communes: Vec<u64> = vec![0; snap.communes.len()];
    let mut families: HashMap<char, u64> = HashMap::new();
    let mut hits: Vec<(u32, f32)> = Vec::new();
    for &(d, s) in &candidates {
        let doc = &snap.docs[d as usize];
        if only.is_some_and(|set| !set.contains(&doc.id)) {
            continue;
        }
        let p = pass(doc, f);
        if p.rest && p.family {
            communes[doc.commune as usize] += 1;
        }
        if p.rest && p.commune {
            if let Some(c) = doc.family {
                *families.entry(c).or_insert(0) += 1;
            }
        }
        if p.rest && p.commune && p.family {
            hits.push((d, s));
        }
    }
    // Best score first, then the most recent (a lower index is more recent). Without words,
    // they already are in that order.
    if !f.terms.is_empty() {
        hits.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    let mut communes: Vec<(String, String, u64)> = communes
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .map(|(i, n)| {
            let (insee, name) = &snap.communes[i];
            (insee.clone(), name.clone(), n)
        })
        .collect();
    communes.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut families: Vec<(char, String, u64)> = families
        .into_iter()
        .map(|(c, n)| {
            let label = snap.family_labels.get(&c).cloned().unwrap_or_default();
            (c, label, n)
        })
        .collect();
    families.sort_by_key(|f| f.0);
    Ranked {
        docs: hits.into_iter().map(|(d, _)| d).collect(),
        facets: Facets { communes, families },
    }
}

/// Keeps `index` in step with the database (see [`keep_in_step`]).
pub async fn keep_fresh(store: Arc<dyn Store>, index: Arc<OfferIndex>) {
    keep_in_step("index des offres", |force| {
        let (store, index) = (store.clone(), index.clone());
        async move {
            Ok(match index.refresh(store.as_ref(), force).await? {
                true => index.current().map(|s| s.version.1),
                false => None,
            })
        }
    })
    .await
}

/// Runs `refresh(force)` every second: it asks the database for a cheap version and rebuilds
/// when it moved, answering the rebuilt state's last change (Unix seconds), or `None` when
/// nothing moved. A change made in the very second of a rebuild may not move the version (it
/// counts seconds), so a rebuild whose last change is that recent is done once more; a failure
/// is logged and tried again the next second.
pub(crate) async fn keep_in_step<F, Fut>(what: &str, mut refresh: F)
where
    F: FnMut(bool) -> Fut,
    Fut: std::future::Future<Output = Result<Option<i64>, StoreError>>,
{
    let mut force = true;
    loop {
        force = match refresh(force).await {
            Ok(Some(last_change)) => last_change >= crate::unix_now() - 1,
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "{what} : mise à jour impossible, nouvel essai");
                true
            }
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
