//! The staff's lists, in memory, found with the word index of the public search
//! ([`crate::words`]: accents, case, the start of a word, one-letter typos on words of 5 letters
//! or more):
//! - the people followed, by first or last name, phone, e-mail or commune, most recently
//!   active first ([`PeopleDirectory`]);
//! - the employers, by name or by the title, code or commune of one of their offers in any
//!   state, by name ([`EmployerDirectory`]).
//!
//! Each is read from the database by pages (`listed_people`, `listed_offers`) and rebuilt when
//! its cheap version (`people_version`, `employers_version`) moves, checked every second, so
//! that a change made on any server sharing the database shows within about two seconds.
//! Until the first build, callers use SQL.
//!
//! A phone is found by its digits however it is typed: "06 12 34", "0612" and "+33 6 12" all
//! find 06 12 34 56 78 (digit groups typed one after the other are read as one number, and a
//! number is indexed in its national and international forms).

use crate::employer_store::ListedOffer;
use crate::skills_store::ListedPerson;
use crate::store::{Store, StoreError};
use crate::words::{Words, WordsBuilder};
use dklik_domain::text::{fold, terms};
use dklik_domain::EmployerId;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Rows read from the database per query.
const PAGE: u32 = 5_000;
/// Query words looked at (the rest are ignored).
const MAX_WORDS: usize = 8;

/// An employer as the staff's list shows it, found by its name and its offers' titles, codes
/// and communes (every state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedEmployer {
    /// The employer.
    pub id: EmployerId,
    /// Its name.
    pub name: String,
    /// Made up for the demonstration.
    pub fictional: bool,
    /// Its offers published now.
    pub published: u64,
    /// Its offers in every state.
    pub offers: u64,
}

/// One state of a list: built whole, then swapped in.
struct Snapshot<T> {
    /// The rows in the list's order.
    rows: Vec<T>,
    /// Their words (a document is a row's place).
    words: Words,
    version: (i64, i64),
}

/// What a search of a list found.
#[derive(Debug)]
pub struct Found<T> {
    /// The page asked for, in order.
    pub rows: Vec<T>,
    /// How many match in all.
    pub total: usize,
}

/// A staff list held in memory; empty (and not ready) until first built.
pub struct Directory<T> {
    snap: RwLock<Option<Arc<Snapshot<T>>>>,
}

impl<T> Default for Directory<T> {
    fn default() -> Self {
        Self {
            snap: RwLock::new(None),
        }
    }
}

/// The people followed, most recently active first.
pub type PeopleDirectory = Directory<ListedPerson>;
/// The employers, by name.
pub type EmployerDirectory = Directory<ListedEmployer>;

impl<T: Clone + Send + Sync + 'static> Directory<T> {
    /// Whether a search can be answered from memory.
    pub fn ready(&self) -> bool {
        self.current().is_some()
    }

    /// The version the list was built at (`None` until built): what others kept beside it
    /// (the advisors' offers to handle) may be kept until it moves.
    pub fn version(&self) -> Option<(i64, i64)> {
        self.current().map(|s| s.version)
    }

    fn current(&self) -> Option<Arc<Snapshot<T>>> {
        self.snap.read().ok().and_then(|s| s.clone())
    }

    /// Whether the list was built at this version (and need not be rebuilt, unless `force`).
    fn is_at(&self, version: (i64, i64), force: bool) -> bool {
        !force && self.current().is_some_and(|s| s.version == version)
    }

    /// Builds the snapshot off the async threads and swaps it in.
    async fn install<R: Send + 'static>(
        &self,
        what: &'static str,
        version: (i64, i64),
        read: R,
        build: fn(R) -> (Vec<T>, Words),
        started: std::time::Instant,
    ) -> Result<bool, StoreError> {
        let (rows, words) = tokio::task::spawn_blocking(move || build(read))
            .await
            .map_err(|e| StoreError::Backend(format!("{what} : {e}")))?;
        tracing::info!(
            rows = rows.len(),
            ms = started.elapsed().as_millis() as u64,
            "{what} à jour"
        );
        if let Ok(mut s) = self.snap.write() {
            *s = Some(Arc::new(Snapshot {
                rows,
                words,
                version,
            }));
        }
        Ok(true)
    }

    /// The rows matching every word of `query` (all of them when it has none), in the list's
    /// order: `limit` from `offset`, and how many match. `None` until built.
    pub fn find(&self, query: &str, offset: usize, limit: usize) -> Option<Found<T>> {
        let snap = self.current()?;
        let words = query_words(query);
        let hits = snap.words.matching(&words, query, snap.rows.len());
        Some(Found {
            total: hits.len(),
            rows: hits
                .iter()
                .skip(offset)
                .take(limit)
                .map(|&(d, _)| snap.rows[d as usize].clone())
                .collect(),
        })
    }
}

impl Directory<ListedPerson> {
    /// Rebuilds the list when people changed since it was built (or `force`). Returns whether
    /// it was rebuilt.
    pub async fn refresh(&self, store: &dyn Store, force: bool) -> Result<bool, StoreError> {
        let version = store.people_version().await?;
        if self.is_at(version, force) {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let mut people = Vec::new();
        loop {
            let after = people.last().map_or(0, |p: &ListedPerson| p.id.0);
            let page = store.listed_people(after, PAGE).await?;
            let last = page.len() < PAGE as usize;
            people.extend(page);
            if last {
                break;
            }
        }
        self.install(
            "liste des personnes",
            version,
            people,
            build_people,
            started,
        )
        .await
    }
}

impl Directory<ListedEmployer> {
    /// Rebuilds the list when employers or offers changed since it was built (or `force`).
    /// Returns whether it was rebuilt.
    pub async fn refresh(&self, store: &dyn Store, force: bool) -> Result<bool, StoreError> {
        let version = store.employers_version().await?;
        if self.is_at(version, force) {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let employers: Vec<ListedEmployer> = store
            .employers()
            .await?
            .into_iter()
            .map(|e| ListedEmployer {
                id: e.employer.id,
                name: e.employer.name,
                fictional: e.employer.fictional,
                published: e.published_offers,
                offers: 0,
            })
            .collect();
        let mut offers = Vec::new();
        loop {
            let after = offers.last().map_or(0, |o: &ListedOffer| o.id.0);
            let page = store.listed_offers(after, PAGE).await?;
            let last = page.len() < PAGE as usize;
            offers.extend(page);
            if last {
                break;
            }
        }
        self.install(
            "liste des entreprises",
            version,
            (employers, offers),
            build_employers,
            started,
        )
        .await
    }
}

fn build_people(mut people: Vec<ListedPerson>) -> (Vec<ListedPerson>, Words) {
    people.sort_by(|a, b| {
        b.last_activity_at
            .cmp(&a.last_activity_at)
            .then(b.id.0.cmp(&a.id.0))
    });
    let mut words = WordsBuilder::default();
    for (i, p) in people.iter().enumerate() {
        let d = i as u32;
        words.add(d, &p.first_name, 1.0, false);
        words.add(d, &p.last_name, 1.0, false);
        words.add(d, &p.commune, 1.0, true);
        if let Some(e) = &p.email {
            words.add(d, e, 1.0, false);
        }
        if let Some(phone) = &p.phone {
            for n in phone_forms(phone) {
                words.add_term(d, &n, 1.0);
            }
        }
    }
    (people, words.finish())
}

fn build_employers(
    (mut employers, offers): (Vec<ListedEmployer>, Vec<ListedOffer>),
) -> (Vec<ListedEmployer>, Words) {
    employers.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
    let place: HashMap<EmployerId, usize> = employers
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();
    // Each employer's offers, so that its words are added in the list's order.
    let mut theirs: Vec<Vec<ListedOffer>> = vec![Vec::new(); employers.len()];
    for o in offers {
        if let Some(&i) = place.get(&o.employer) {
            theirs[i].push(o);
        }
    }
    let mut words = WordsBuilder::default();
    for (i, e) in employers.iter_mut().enumerate() {
        let d = i as u32;
        words.add(d, &e.name, 2.0, false);
        e.offers = theirs[i].len() as u64;
        for o in std::mem::take(&mut theirs[i]) {
            words.add(d, &o.title, 1.0, false);
            words.add(d, &o.code, 1.0, false);
            words.add(d, &o.commune, 1.0, true);
        }
    }
    (employers, words.finish())
}

/// A stored phone's digits, in its national form and, for a French number, its international
/// one ("+33 6 12…" and "06 12…" both give "0612…" and "33612…").
fn phone_forms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("0033") {
        format!("0{rest}")
    } else if phone.trim_start().starts_with('+') && digits.starts_with("33") {
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    let mut out = vec![national.clone()];
    if let Some(rest) = national.strip_prefix('0') {
        out.push(format!("33{rest}"));
    }
    out.retain(|n| !n.is_empty());
    out
}

/// The words of a staff query: each word's stem, and groups of digits typed one after the
/// other joined into one number.
fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut number = String::new();
    for w in fold(query).split_whitespace() {
        if w.chars().all(|c| c.is_ascii_digit()) {
            number.push_str(w);
            continue;
        }
        if !number.is_empty() {
            out.push(std::mem::take(&mut number));
        }
        out.extend(terms(w));
    }
    if !number.is_empty() {
        out.push(number);
    }
    out.dedup();
    out.truncate(MAX_WORDS);
    out
}

/// Keeps both lists in step with the database, as the offers' index is.
pub async fn keep_fresh(
    store: Arc<dyn Store>,
    people: Arc<PeopleDirectory>,
    employers: Arc<EmployerDirectory>,
) {
    let people_loop = crate::search::keep_in_step("liste des personnes", |force| {
        let (store, list) = (store.clone(), people.clone());
        async move {
            Ok(match list.refresh(store.as_ref(), force).await? {
                true => list.current().map(|s| s.version.1),
                false => None,
            })
        }
    });
    let employers_loop = crate::search::keep_in_step("liste des entreprises", |force| {
        let (store, list) = (store.clone(), employers.clone());
        async move {
            Ok(match list.refresh(store.as_ref(), force).await? {
                true => list.current().map(|s| s.version.1),
                false => None,
            })
        }
    });
    tokio::join!(people_loop, employers_loop);
}

#[cfg(test)]
mod tests {
    use super::*;
    use dklik_domain::privacy::PersonId;

    fn person(
        id: i64,
        first: &str,
        last: &str,
        phone: &str,
        commune: &str,
        at: i64,
    ) -> ListedPerson {
        ListedPerson {
            id: PersonId(id),
            first_name: first.into(),
            last_name: last.into(),
            phone: (!phone.is_empty()).then(|| phone.to_string()),
            email: Some(format!(
                "{}.{}@exemple.fr",
                first.to_lowercase(),
                last.to_lowercase()
            )),
            commune: commune.into(),
            qpv: None,
            last_activity_at: at,
        }
    }

    fn list() -> PeopleDirectory {
        let d = PeopleDirectory::default();
        let (rows, words) = build_people(vec![
            person(1, "Karim", "Benali", "06 11 22 33 44", "Grande-Synthe", 100),
            person(2, "Léa", "Dupont", "+33 7 55 66 77 88", "Dunkerque", 300),
            person(3, "Hélène", "Benali", "", "Dunkerque", 200),
        ]);
        *d.snap.write().expect("lock") = Some(Arc::new(Snapshot {
            rows,
            words,
            version: (3, 300),
        }));
        d
    }

    fn ids(d: &PeopleDirectory, q: &str) -> Vec<i64> {
        d.find(q, 0, 10)
            .expect("built")
            .rows
            .iter()
            .map(|p| p.id.0)
            .collect()
    }

    #[test]
    fn people_are_found_by_name_phone_mail_and_commune_most_recent_first() {
        let d = list();
        assert_eq!(ids(&d, ""), vec![2, 3, 1]);
        assert_eq!(ids(&d, "benali"), vec![3, 1]);
        assert_eq!(ids(&d, "BENALI helene"), vec![3]);
        assert_eq!(ids(&d, "benalu"), vec![3, 1], "one letter off");
        assert_eq!(ids(&d, "Grande Synthe"), vec![1]);
        assert_eq!(ids(&d, "dunkerque benali"), vec![3]);
        assert_eq!(ids(&d, "06 11 22"), vec![1]);
        assert_eq!(ids(&d, "0611"), vec![1]);
        assert_eq!(ids(&d, "+33 6 11 22"), vec![1]);
        assert_eq!(ids(&d, "07 55 66 77 88"), vec![2]);
        assert_eq!(ids(&d, "lea.dupont@exemple.fr"), vec![2]);
        assert_eq!(ids(&d, "0612"), Vec::<i64>::new());
        assert_eq!(ids(&d, "martin"), Vec::<i64>::new());
        let page = d.find("", 1, 1).expect("built");
        assert_eq!((page.total, page.rows[0].id.0), (3, 3));
    }

    #[test]
    fn hostile_queries_answer_without_failing() {
        let d = list();
        for q in [
            "%",
            "_",
            "'; DROP TABLE people; --",
            ".*",
            "\u{0}",
            "   ",
            "1",
            &"a".repeat(10_000),
            &"06 ".repeat(3_000),
        ] {
            assert!(d.find(q, 0, 10).is_some(), "{q:.20}");
        }
        assert!(
            d.find("%", 0, 10).expect("built").total == 3,
            "punctuation alone is no word"
        );
    }
}
