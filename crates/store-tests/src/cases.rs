//! The contract cases. Each takes a fresh, migrated store.

use crate::{fixtures_dir, rome_fixture};
use dklik_app::offers::{import_offers, ImportError, OfferQuery};
use dklik_app::InboxFilter;
use dklik_app::Store;
use dklik_domain::interest::InterestForm;
use dklik_domain::PersonId;
use dklik_domain::{
    Channel, ContractType, InterestStatus, ItemKind, NewInterest, OfferFilter, OfferStatus, Role,
    ShiftPeriod,
};
use dklik_imports::offers::read;

async fn load_rome(store: &dyn Store) {
    store
        .save_rome(&rome_fixture(), &|_| {})
        .await
        .expect("save ROME fixture");
}

fn demo_csv() -> Vec<u8> {
    std::fs::read(fixtures_dir().join("offers/demo-offres.csv")).expect("demo offers fixture")
}

async fn load_demo(store: &dyn Store) -> u64 {
    load_rome(store).await;
    let raw = read("demo-offres.csv", &demo_csv()).expect("demo CSV reads");
    let out = import_offers(store, raw, true).await.expect("demo import");
    out.created
}

fn day(s: &str) -> time::Date {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .expect("test date")
}

const HEADER: &str = "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin";

pub async fn migrations_are_idempotent(store: &dyn Store) {
    store.migrate().await.expect("second migrate");
    store.migrate().await.expect("third migrate");
    store.ping().await.expect("ping");
    assert_eq!(store.rome_counts().await.expect("counts").jobs, 0);
}

pub async fn rome_import_counts_and_is_idempotent(store: &dyn Store) {
    let rome = rome_fixture();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let changed = store
        .save_rome(&rome, &|n| {
            seen.store(n, std::sync::atomic::Ordering::SeqCst)
        })
        .await
        .expect("first import");
    let total = dklik_app::rome::row_total(&rome);
    assert_eq!(changed, total, "every row is new the first time");
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        total,
        "progress reaches the total"
    );
    let c = store.rome_counts().await.expect("counts");
    assert_eq!(c.jobs, 20);
    assert_eq!(c.savoir_etre, 16);
    assert_eq!(c.job_items, rome.job_items.len() as u64);
    assert_eq!(c.appellations, rome.appellations.len() as u64);
    let again = store
        .save_rome(&rome, &|_| {})
        .await
        .expect("second import");
    assert_eq!(again, 0, "a second import changes nothing");
    assert_eq!(store.rome_counts().await.expect("counts"), c);
}

pub async fn rome_changes_are_applied(store: &dyn Store) {
    let mut rome = rome_fixture();
    store.save_rome(&rome, &|_| {}).await.expect("import");
    let code = rome.items[0].code;
    rome.items[0].label = "Libellé modifié".into();
    rome.jobs[0].parent = None;
    let changed = store.save_rome(&rome, &|_| {}).await.expect("reimport");
    assert_eq!(changed, 2);
    let items = store.rome_items(&[code]).await.expect("items");
    assert_eq!(items[0].label, "Libellé modifié");
    let se = store.rome_savoir_etre().await.expect("savoir-être");
    assert_eq!(se.len(), 16);
    assert!(se.iter().all(|i| i.kind == ItemKind::SavoirEtre));
}

/// A release bigger than the fixture: 400 new job sheets, each with an appellation and the
/// fixture's first 20 items; one item's label changed.
fn bigger_release() -> dklik_domain::rome::RomeReference {
    use dklik_domain::rome::{RomeAppellation, RomeJob, RomeJobItem};
    use dklik_domain::{OgrCode, RomeCode};
    let mut r = rome_fixture();
    let items: Vec<OgrCode> = r.items.iter().take(20).map(|i| i.code).collect();
    for n in 0..400 {
        let code = RomeCode::parse(&format!("N9{n:03}")).expect("code");
        r.jobs.push(RomeJob {
            code: code.clone(),
            label: format!("Métier d'essai numéro {n}"),
            parent: None,
        });
        r.appellations.push(RomeAppellation {
            code: OgrCode(9_000_000 + n),
            label: format!("Appellation d'essai numéro {n}"),
            short_label: format!("Essai {n}"),
            rome: code.clone(),
        });
        for item in &items {
            r.job_items.push(RomeJobItem {
                rome: code.clone(),
                item: *item,
                core: n % 2 == 0,
            });
        }
    }
    r.items[0].label = "Libellé de la nouvelle version".into();
    r
}

pub async fn a_rome_release_is_seen_whole_or_not_at_all(store: &dyn Store) {
    load_rome(store).await;
    let old = store.rome_counts().await.expect("counts");
    let first = rome_fixture().items[0].clone();
    // A release that fails at its last row (an item no sheet can name): nothing of it is
    // seen, and what it wrote ahead is taken away (the next import could not write otherwise).
    let mut bad = bigger_release();
    bad.job_items.push(dklik_domain::rome::RomeJobItem {
        rome: bad.jobs[0].code.clone(),
        item: dklik_domain::OgrCode(999_999_999),
        core: true,
    });
    assert!(store.save_rome(&bad, &|_| {}).await.is_err());
    assert_eq!(store.rome_counts().await.expect("counts"), old);
    let items = store.rome_items(&[first.code]).await.expect("item");
    assert_eq!(items[0].label, first.label, "the change was not written");
    // The release, read while it writes: the old reference or the new one, never a mix.
    let big = bigger_release();
    let done = std::cell::Cell::new(false);
    let mut seen = Vec::new();
    let (saved, ()) = tokio::join!(
        async {
            let r = store.save_rome(&big, &|_| {}).await;
            done.set(true);
            r
        },
        async {
            // The label read before and after the counts: when both agree, the switch (one
            // moment) came before both or after both, and the counts must agree with them.
            let label = || async {
                store.rome_items(&[first.code]).await.expect("item")[0]
                    .label
                    .clone()
            };
            while !done.get() {
                let ahead = label().await;
                let c = store.rome_counts().await.expect("counts while writing");
                if label().await == ahead {
                    seen.push((c.jobs, c.appellations, c.job_items, ahead));
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    );
    let written = saved.expect("the bigger release");
    assert_eq!(
        written,
        400 + 400 + 8_000 + 1,
        "new rows and the changed one"
    );
    let new = store.rome_counts().await.expect("counts");
    assert_eq!(
        (new.jobs, new.appellations, new.job_items),
        (
            old.jobs + 400,
            old.appellations + 400,
            old.job_items + 8_000
        )
    );
    let before = (
        old.jobs,
        old.appellations,
        old.job_items,
        first.label.clone(),
    );
    assert!(
        seen.contains(&before),
        "read while the import wrote its rows ahead"
    );
    let after = (
        new.jobs,
        new.appellations,
        new.job_items,
        "Libellé de la nouvelle version".to_string(),
    );
    assert!(
        seen.iter().all(|s| *s == before || *s == after),
        "only a whole reference is read: {:?}",
        seen.iter()
            .filter(|s| **s != before && **s != after)
            .take(3)
            .collect::<Vec<_>>()
    );
    // What the skills pages read (the catalogue) has the new sheets; the same release again
    // writes nothing.
    let catalogue = store.rome_catalogue().await.expect("catalogue");
    assert_eq!(catalogue.jobs.len() as u64, new.jobs);
    assert_eq!(store.save_rome(&big, &|_| {}).await.expect("again"), 0);
}

pub async fn offers_import_then_upsert_by_external_id(store: &dyn Store) {
    let created = load_demo(store).await;
    assert_eq!(created, 64);
    let raw = read("demo-offres.csv", &demo_csv()).expect("reads");
    let again = import_offers(store, raw, true).await.expect("reimport");
    assert_eq!((again.created, again.updated), (0, 64));
    let o = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("query")
        .expect("DEMO-001 exists");
    assert_eq!(o.rome.as_str(), "H2913");
    assert_eq!(o.rome_label, "Soudeur / Soudeuse");
    assert!(o.employer_fictional);
    assert!(o.items.len() >= 3, "items stored with the offer");
    assert!(o.items.iter().any(|i| i.kind == ItemKind::SavoirEtre));
    assert_eq!(o.shifts.len(), 2);
    let by_code = store
        .offer_by_code(&o.code)
        .await
        .expect("query")
        .expect("by code");
    assert_eq!(by_code.id, o.id);
    assert_eq!(by_code.items, o.items);
    let draft = store
        .offer_by_external_id("DEMO-031")
        .await
        .expect("query")
        .expect("draft");
    assert_eq!(
        (draft.status, draft.published_on),
        (OfferStatus::Draft, None)
    );
    // A changed title in the file updates the same offer; a draft published by the file gets
    // its publication date.
    let csv = String::from_utf8(demo_csv())
        .expect("utf-8")
        .replace(
            "Soudeur / Soudeuse à l'arc",
            "Soudeur / Soudeuse à l'arc (MAG)",
        )
        .replace(";brouillon;", ";publiee;");
    let out = import_offers(store, read("x.csv", csv.as_bytes()).expect("reads"), true)
        .await
        .expect("third import");
    assert_eq!(out.created, 0);
    let o2 = store.offer(o.id).await.expect("query").expect("same id");
    assert_eq!(o2.title, "Soudeur / Soudeuse à l'arc (MAG)");
    assert_eq!(o2.code, o.code, "the short code never changes");
    assert_eq!(
        o2.published_on, o.published_on,
        "an update keeps the publication date"
    );
    let published = store
        .offer(draft.id)
        .await
        .expect("query")
        .expect("same id");
    assert_eq!(published.status, OfferStatus::Published);
    assert_eq!(published.published_on, Some(dklik_app::today_paris()));
}

/// Every offer the staff lists see (all states).
async fn offers_seen(store: &dyn Store) -> usize {
    store
        .listed_offers(0, 1_000_000)
        .await
        .expect("staff list")
        .len()
}

/// A large import is written in short steps (SQLite's one write lock is never held long) but
/// seen whole or not at all: while it writes nothing of it is seen; a failure at its last offer
/// leaves nothing of it, so the same offers can be imported again at once.
pub async fn a_large_import_is_seen_whole_or_not_at_all(store: &dyn Store) {
    load_demo(store).await;
    let demo = String::from_utf8(demo_csv()).expect("utf-8");
    let (head, body) = demo.split_once('\n').expect("a header");
    let copies: String = (0..5)
        .map(|k| body.replace("DEMO-", &format!("GEN{k}-")))
        .collect();
    let line = |id: &str| {
        body.lines()
            .find(|l| l.starts_with(&format!("{id};")))
            .expect("a demo offer")
            .to_string()
    };
    let first = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("query")
        .expect("DEMO-001");
    let changed = line("DEMO-001").replacen(&first.title, "Soudeur / Soudeuse (import long)", 1);
    assert_ne!(changed, line("DEMO-001"), "the title is in the line");
    // A closed offer the file would publish again: refused, at the import's very end.
    let closed = store
        .offer_by_external_id("DEMO-010")
        .await
        .expect("query")
        .expect("DEMO-010");
    store
        .change_offer_status(closed.id, OfferStatus::Closed, day("2026-01-05"), "test", 1)
        .await
        .expect("closed");
    let before = offers_seen(store).await;
    let (_, version_before) = store.offers_version().await.expect("version");

    // An offer of an employer new to the database, at a site new to it: a failed import takes
    // them away with its offers.
    let stranger = {
        let mut f: Vec<String> = line("DEMO-002").split(';').map(String::from).collect();
        f[0] = "LOST-001".into();
        f[1] = "Entreprise d'un import manqué".into();
        f.join(";")
    };
    let employers_before = store.employers().await.expect("employers").len();
    let failing = format!(
        "{head}\n{changed}\n{stranger}\n{copies}{}\n",
        line("DEMO-010")
    );
    let err = import_offers(
        store,
        read("long.csv", failing.as_bytes()).expect("reads"),
        true,
    )
    .await
    .expect_err("a closed offer is not published again");
    assert!(err.to_string().contains("DEMO-010"), "{err}");
    assert_eq!(
        offers_seen(store).await,
        before,
        "nothing of a failed import"
    );
    assert!(store
        .offer_by_external_id("GEN0-001")
        .await
        .expect("query")
        .is_none());
    let employers = store.employers().await.expect("employers");
    assert_eq!(
        employers.len(),
        employers_before,
        "the failed import's new employer is taken away: {:?}",
        employers
            .iter()
            .map(|e| e.employer.name.as_str())
            .collect::<Vec<_>>()
    );
    let kept = store.offer(first.id).await.expect("query").expect("kept");
    assert_eq!(
        (kept.title, kept.items),
        (first.title.clone(), first.items.clone())
    );

    // The same offers without the refused one: nothing is seen until all of it is.
    let ok = format!("{head}\n{changed}\n{copies}");
    let done = std::cell::Cell::new(false);
    let mut counts = Vec::new();
    let (out, ()) = tokio::join!(
        async {
            let out =
                import_offers(store, read("long.csv", ok.as_bytes()).expect("reads"), true).await;
            done.set(true);
            out
        },
        async {
            while !done.get() {
                counts.push(offers_seen(store).await);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    );
    let out = out.expect("the import, again, without the refused offer");
    assert_eq!((out.created, out.updated), (5 * 64, 1));
    let after = offers_seen(store).await;
    assert_eq!(after, before + 5 * 64);
    assert!(!counts.is_empty(), "looked while the import wrote");
    assert!(
        counts.iter().all(|n| *n == before || *n == after),
        "only the whole import or none of it is seen: {counts:?}"
    );
    let now = store
        .offer(first.id)
        .await
        .expect("query")
        .expect("same id");
    assert_eq!(now.title, "Soudeur / Soudeuse (import long)");
    assert_eq!((now.code, now.items), (first.code, first.items));
    let copy = store
        .offer_by_external_id("GEN4-064")
        .await
        .expect("query")
        .expect("the last copy");
    assert!(!copy.items.is_empty(), "items come with the offer");
    let (_, version_after) = store.offers_version().await.expect("version");
    assert!(version_after >= version_before);
    // The same file once more: every offer found, none written twice.
    let again = import_offers(store, read("long.csv", ok.as_bytes()).expect("reads"), true)
        .await
        .expect("third import");
    assert_eq!((again.created, again.updated), (0, 5 * 64 + 1));
    assert_eq!(offers_seen(store).await, after);
}

pub async fn bad_offer_file_writes_nothing(store: &dyn Store) {
    load_rome(store).await;
    let csv = format!(
        "{HEADER}\nA1;Acier;;;Dunkerque;59183;51.03;2.37;Soudeur;;H2913;;486593:2;lun-ven 05:00-13:00;cdi;35;1;non;;\n\
         A2;Acier;;;Dunkerque;59183;51.03;2.37;Soudeur;;Z9999;;999999999:2;lun-ven 05:00-13:00;cdi;35;1;non;;\n"
    );
    let raw = read("x.csv", csv.as_bytes()).expect("shape is fine");
    let err = import_offers(store, raw, false)
        .await
        .expect_err("unknown codes");
    let ImportError::Invalid(problems) = err else {
        panic!("expected a list of problems")
    };
    let text = problems.to_string();
    assert!(text.contains("ligne 3, champ « code_rome »"), "{text}");
    assert!(text.contains("ligne 3, champ « competences »"), "{text}");
    assert!(
        store
            .offer_by_external_id("A1")
            .await
            .expect("query")
            .is_none(),
        "nothing written"
    );
    assert!(store.employers().await.expect("employers").is_empty());
}

pub async fn search_ignores_accents_and_plurals(store: &dyn Store) {
    load_demo(store).await;
    let search = |q: &str| OfferQuery {
        q: q.into(),
        ..Default::default()
    };
    let welders = dklik_app::offers::search_offers(store, &search("soudeurs"))
        .await
        .expect("search");
    assert!(welders.total >= 5, "{}", welders.total);
    assert!(welders
        .offers
        .iter()
        .all(|o| o.title.to_lowercase().contains("soud")));
    let a = dklik_app::offers::search_offers(store, &search("electricien"))
        .await
        .expect("search");
    let b = dklik_app::offers::search_offers(store, &search("ÉLECTRICIENNES"))
        .await
        .expect("search");
    assert!(a.total > 0);
    assert_eq!(a.total, b.total);
    let none = dklik_app::offers::search_offers(store, &search("astronaute"))
        .await
        .expect("search");
    assert_eq!(none.total, 0);
}

/// The in-memory index answers as the SQL path does (same offers for the same filters), and
/// better: synonyms from the ROME job sheet, one-letter typos, relevance first; it follows
/// changes once refreshed.
pub async fn search_index_agrees_with_sql_and_knows_synonyms(store: &dyn Store) {
    use dklik_app::search::OfferIndex;
    load_demo(store).await;
    let index = OfferIndex::default();
    assert!(
        index.find(&OfferFilter::default(), "").is_none(),
        "not ready before built"
    );
    assert!(index.refresh(store, false).await.expect("build"));
    let all = store.published_offers(true).await.expect("published");
    let sql_all = store
        .list_offers(&OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("sql");
    assert_eq!(all.len() as u64, sql_all.total, "every published offer");
    assert_eq!(
        all.iter().map(|o| o.id).collect::<Vec<_>>(),
        sql_all.offers.iter().map(|o| o.id).collect::<Vec<_>>(),
        "in the list's order"
    );
    assert!(all.iter().all(|o| !o.items.is_empty()), "with their items");
    assert!(
        !index.refresh(store, false).await.expect("unchanged"),
        "no rebuild without change"
    );
    let q = |text: &str| OfferQuery {
        q: text.into(),
        ..Default::default()
    };
    let ids = |p: &dklik_app::OfferPage| {
        let mut v: Vec<i64> = p.offers.iter().map(|o| o.id.0).collect();
        v.sort();
        v
    };
    // Without words, the same offers in the same order (most recent first), the same facets.
    for f in [
        OfferFilter {
            limit: 100,
            ..Default::default()
        },
        OfferFilter {
            limit: 100,
            contract: Some(ContractType::Cdi),
            ..Default::default()
        },
        OfferFilter {
            limit: 100,
            period: Some(ShiftPeriod::Night),
            no_diploma: true,
            ..Default::default()
        },
        OfferFilter {
            limit: 100,
            insee: Some("59183".into()),
            family: Some('H'),
            ..Default::default()
        },
        OfferFilter {
            limit: 5,
            offset: 5,
            ..Default::default()
        },
    ] {
        let sql = store.list_offers(&f).await.expect("sql");
        let (mem, _) = index.search(&f).expect("ready");
        assert_eq!(mem.total, sql.total, "{f:?}");
        let order = |p: &dklik_app::OfferPage| p.offers.iter().map(|o| o.id.0).collect::<Vec<_>>();
        assert_eq!(order(&mem), order(&sql), "{f:?}");
    }
    let facets = index
        .find(
            &OfferFilter {
                limit: 1,
                ..Default::default()
            },
            "",
        )
        .expect("ready")
        .facets;
    let sql_facets = store.offer_facets().await.expect("facets");
    assert_eq!(facets.communes, sql_facets.communes);
    assert_eq!(facets.families, sql_facets.families);
    // With words: whatever SQL finds, the index finds too (it may find more).
    for words in [
        "soudeurs",
        "ÉLECTRICIENNES",
        "chariot nuit",
        "maintenance dunkerque",
    ] {
        let sql = dklik_app::offers::search_offers(store, &q(words))
            .await
            .expect("sql");
        let (mem, _) = index.search(&q(words).to_filter()).expect("ready");
        let found = ids(&mem);
        assert!(
            ids(&sql).iter().all(|i| found.contains(i)),
            "{words}: {found:?} lacks some of {:?}",
            ids(&sql)
        );
    }
    // "cariste" finds the engine driver of the same ROME sheet, whose text never says cariste.
    let (carist, _) = index.search(&q("cariste").to_filter()).expect("ready");
    assert!(
        carist
            .offers
            .iter()
            .any(|o| o.title.starts_with("Conducteur / Conductrice d'engins")),
        "{:?}",
        carist.offers.iter().map(|o| &o.title).collect::<Vec<_>>()
    );
    // Offers titled with the word come before those found by a synonym.
    assert!(carist.offers[0].title.to_lowercase().contains("cariste"));
    // "soudeur" finds "Soudeur / Soudeuse TIG…", and "Soudeuses" the same offers.
    let (welders, _) = index.search(&q("soudeur").to_filter()).expect("ready");
    assert!(welders.offers.iter().any(|o| o.title.contains("TIG")));
    let (plural, _) = index.search(&q("Soudeuses").to_filter()).expect("ready");
    assert_eq!(ids(&welders), ids(&plural));
    // One letter wrong, on a long enough word.
    let (typo, _) = index
        .search_typed(&q("soudeir").to_filter(), "soudeir")
        .expect("ready");
    let titles: Vec<&str> = typo.offers.iter().map(|o| o.title.as_str()).collect();
    assert!(
        titles.len() >= 3
            && titles[..3]
                .iter()
                .all(|t| t.to_lowercase().contains("soud")),
        "{titles:?}"
    );
    let (none, facets) = index.search(&q("astronaute").to_filter()).expect("ready");
    assert_eq!(none.total, 0);
    assert!(facets.communes.is_empty());
    // Facets follow the query.
    let (_, f) = index.search(&q("cariste").to_filter()).expect("ready");
    let n: u64 = f.communes.iter().map(|c| c.2).sum();
    assert_eq!(n, carist.total);
    // A closed offer is gone once the index is refreshed.
    let first = carist.offers[0].id;
    store
        .set_offer_status(first, OfferStatus::Closed, day("2026-11-30"))
        .await
        .expect("close");
    assert!(
        index.refresh(store, false).await.expect("refresh"),
        "a change is seen"
    );
    let (after, _) = index.search(&q("cariste").to_filter()).expect("ready");
    assert!(after.offers.iter().all(|o| o.id != first));
    assert_eq!(after.total + 1, carist.total);
    // Random queries (any text, any page, any filter value) answer, within the page size.
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 300,
        ..Default::default()
    });
    let strategy = (
        proptest::string::string_regex(".{0,300}").expect("regex"),
        proptest::string::string_regex("[0-9a-zA-Z%' -]{0,12}").expect("regex"),
        0u64..=2_000_000_000,
    );
    runner
        .run(&strategy, |(text, value, page)| {
            let q = OfferQuery {
                q: text.clone(),
                commune: value.clone(),
                famille: value.clone(),
                contrat: value.clone(),
                horaire: value,
                page: page.to_string(),
                ..Default::default()
            };
            let found = index.find(&q.to_filter(), &q.q).expect("ready");
            proptest::prop_assert!(found.ids.len() as u64 <= found.total.min(20));
            Ok(())
        })
        .expect("random queries");
    // Any text at all answers, and never panics.
    for junk in [
        "",
        "%",
        "_",
        "' OR 1=1 --",
        ".*",
        "\\",
        &"é".repeat(5000),
        "\u{0}\u{1F600}",
    ] {
        let _ = index.find(&q(junk).to_filter(), junk).expect("ready");
    }
}

pub async fn list_filters(store: &dyn Store) {
    load_demo(store).await;
    let all = store
        .list_offers(&OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(all.total, 62, "64 offers, 2 of them drafts");
    assert!(all
        .offers
        .iter()
        .all(|o| o.status == OfferStatus::Published));
    let count = |f: OfferFilter| async move { store.list_offers(&f).await.expect("list").total };
    let gravelines = count(OfferFilter {
        insee: Some("59273".into()),
        limit: 20,
        ..Default::default()
    })
    .await;
    let expected = all
        .offers
        .iter()
        .filter(|o| o.site.insee.as_str() == "59273")
        .count() as u64;
    assert!(expected > 0);
    assert_eq!(gravelines, expected);
    let logistics = count(OfferFilter {
        family: Some('N'),
        limit: 20,
        ..Default::default()
    })
    .await;
    assert_eq!(
        logistics,
        all.offers.iter().filter(|o| o.rome.family() == 'N').count() as u64
    );
    let interim = count(OfferFilter {
        contract: Some(ContractType::Interim),
        limit: 20,
        ..Default::default()
    })
    .await;
    assert_eq!(
        interim,
        all.offers
            .iter()
            .filter(|o| o.contract == ContractType::Interim)
            .count() as u64
    );
    let nights = count(OfferFilter {
        period: Some(ShiftPeriod::Night),
        limit: 20,
        ..Default::default()
    })
    .await;
    assert_eq!(
        nights,
        all.offers
            .iter()
            .filter(|o| o
                .shifts
                .iter()
                .any(|s| ShiftPeriod::of(s.start) == ShiftPeriod::Night))
            .count() as u64
    );
    let no_diploma = count(OfferFilter {
        no_diploma: true,
        limit: 20,
        ..Default::default()
    })
    .await;
    assert_eq!(
        no_diploma,
        all.offers.iter().filter(|o| o.no_diploma).count() as u64
    );
    // Pages do not overlap and the total stays the same.
    let p1 = store
        .list_offers(&OfferFilter {
            limit: 20,
            offset: 0,
            ..Default::default()
        })
        .await
        .expect("page 1");
    let p2 = store
        .list_offers(&OfferFilter {
            limit: 20,
            offset: 20,
            ..Default::default()
        })
        .await
        .expect("page 2");
    assert_eq!(p1.offers.len(), 20);
    assert_eq!(p1.total, p2.total);
    assert!(p1
        .offers
        .iter()
        .all(|a| p2.offers.iter().all(|b| a.id != b.id)));
    let facets = store.offer_facets().await.expect("facets");
    assert_eq!(facets.communes.iter().map(|c| c.2).sum::<u64>(), 62);
    assert!(facets
        .families
        .iter()
        .any(|f| f.0 == 'H' && f.1.starts_with("Industrie")));
}

pub async fn lifecycle_rules(store: &dyn Store) {
    load_demo(store).await;
    let draft = store
        .offer_by_external_id("DEMO-031")
        .await
        .expect("query")
        .expect("draft");
    assert_eq!(draft.status, OfferStatus::Draft);
    assert!(draft.published_on.is_none());
    store
        .set_offer_status(draft.id, OfferStatus::Published, day("2026-11-02"))
        .await
        .expect("publish");
    let o = store.offer(draft.id).await.expect("query").expect("offer");
    assert_eq!(o.status, OfferStatus::Published);
    assert_eq!(o.published_on, Some(day("2026-11-02")));
    store
        .set_offer_status(draft.id, OfferStatus::Filled, day("2026-11-20"))
        .await
        .expect("fill");
    let o = store.offer(draft.id).await.expect("query").expect("offer");
    assert_eq!(o.ended_on, Some(day("2026-11-20")));
    let err = store
        .set_offer_status(draft.id, OfferStatus::Published, day("2026-11-21"))
        .await
        .expect_err("a filled offer stays filled");
    assert!(matches!(err, dklik_app::StoreError::Conflict(_)), "{err}");
    let listed = store
        .list_offers(&OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(
        listed.offers.iter().all(|x| x.id != draft.id),
        "filled offers leave the list"
    );
    let missing = store
        .set_offer_status(
            dklik_domain::OfferId(999_999),
            OfferStatus::Closed,
            day("2026-11-21"),
        )
        .await
        .expect_err("unknown offer");
    assert!(matches!(missing, dklik_app::StoreError::NotFound));
}

pub async fn reimport_cannot_reopen_a_closed_offer(store: &dyn Store) {
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-002")
        .await
        .expect("query")
        .expect("offer");
    store
        .set_offer_status(o.id, OfferStatus::Closed, day("2026-11-03"))
        .await
        .expect("close");
    let before = store.employers().await.expect("employers").len();
    let csv = String::from_utf8(demo_csv()).expect("utf-8")
        + "DEMO-999;Nouvelle Entreprise (fictive);;;Dunkerque;59183;51.03;2.37;Cariste;;N1101;;300490:2;lun-ven 05:00-13:00;cdi;35;1;oui;;\n";
    let err = import_offers(store, read("x.csv", csv.as_bytes()).expect("reads"), true)
        .await
        .expect_err("closed offer cannot be republished");
    assert!(err.to_string().contains("DEMO-002"), "{err}");
    assert!(
        store
            .offer_by_external_id("DEMO-999")
            .await
            .expect("query")
            .is_none(),
        "the transaction was rolled back"
    );
    assert_eq!(store.employers().await.expect("employers").len(), before);
}

fn interest_form(first_name: &str, phone: &str, email: &str) -> InterestForm {
    InterestForm {
        first_name: first_name.into(),
        phone: phone.into(),
        email: email.into(),
        best_time: "matin".into(),
        consent: true,
    }
}

async fn add(
    store: &dyn Store,
    f: &InterestForm,
    offer: Option<dklik_domain::OfferId>,
    at: i64,
    due: &str,
) -> i64 {
    let i = NewInterest::from_form(f, offer, Channel::BusScreen, "ligne 2").expect("valid");
    store.add_interest(&i, at, day(due)).await.expect("insert")
}

pub async fn interests_are_recorded(store: &dyn Store) {
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("query")
        .expect("offer");
    let id = add(
        store,
        &interest_form("Samia", "06 12 34 56 78", ""),
        Some(o.id),
        1_790_000_000,
        "2026-12-01",
    )
    .await;
    let list = store.interests(10).await.expect("list");
    assert_eq!(list.len(), 1);
    let got = &list[0];
    assert_eq!(got.id, id);
    assert_eq!(got.offer_id, Some(o.id));
    assert_eq!(got.first_name, "Samia");
    assert_eq!(got.phone.as_deref(), Some("06 12 34 56 78"));
    assert_eq!(got.channel, Channel::BusScreen);
    assert_eq!(got.channel_detail, "ligne 2");
    assert_eq!(got.status, InterestStatus::New);
    assert_eq!(got.callback_due, Some(day("2026-12-01")));
    assert_eq!(
        got.consent_version,
        dklik_domain::interest::INTEREST_CONSENT_VERSION
    );
    // The same phone again (written another way): the same record, a second consent, and
    // the request is marked to check; the record itself does not change.
    add(
        store,
        &interest_form("Sam", "06.12.34.56.78", ""),
        None,
        1_790_000_100,
        "2026-12-01",
    )
    .await;
    let list = store.interests(10).await.expect("list");
    assert_eq!(list[0].person_id, list[1].person_id);
    let inbox = store
        .inbox(&InboxFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("inbox");
    let flags: Vec<(i64, bool)> = inbox
        .iter()
        .map(|r| (r.interest.id, r.unverified))
        .collect();
    assert!(flags.contains(&(id, false)), "{flags:?}");
    assert!(flags.iter().any(|(i, u)| *i != id && *u), "{flags:?}");
    let consents = store.consents(got.person_id).await.expect("consents");
    assert_eq!(consents.len(), 2);
    assert!(consents
        .iter()
        .all(|c| c.purpose == dklik_domain::privacy::PURPOSE_CALLBACK));
    let p = store
        .person(got.person_id)
        .await
        .expect("q")
        .expect("person");
    assert_eq!(
        p.first_name.as_deref(),
        Some("Samia"),
        "a form never renames a record"
    );
    // Security (takeover): the victim's phone with another e-mail never puts that e-mail on
    // the victim's record; it makes a separate record that advisors see as a likely duplicate.
    add(
        store,
        &interest_form("Intrus", "0612345678", "intrus@evil.test"),
        None,
        1_790_000_200,
        "2026-12-01",
    )
    .await;
    let p = store
        .person(got.person_id)
        .await
        .expect("q")
        .expect("person");
    assert_eq!(p.email, None, "the record keeps its contact");
    assert_eq!(p.first_name.as_deref(), Some("Samia"));
    assert_eq!(p.phone.as_deref(), Some("06 12 34 56 78"));
    let other = store
        .person_for_login("intrus@evil.test")
        .await
        .expect("q")
        .expect("a separate record");
    assert_ne!(other.id, p.id);
    let pairs = store.duplicates(Some(p.id), 0, 10).await.expect("dups");
    assert_eq!(pairs.len(), 1);
    assert_eq!((pairs[0].a, pairs[0].b), (p.id, other.id));
    assert_eq!(
        pairs[0].reason,
        dklik_app::people_store::DuplicateReason::Phone
    );
    assert_eq!(
        store
            .person_by_email("INTRUS@evil.test")
            .await
            .expect("q")
            .map(|p| p.id),
        Some(other.id)
    );
}

async fn staff(store: &dyn Store, email: &str, role: Role) -> i64 {
    dklik_app::auth::create_user(
        store,
        email,
        email.split('@').next().unwrap_or("x"),
        "une phrase de passe",
        role,
        None,
        1_790_000_000,
    )
    .await
    .expect("user")
}

pub async fn inbox_filters_and_workflow(store: &dyn Store) {
    load_demo(store).await;
    let camille = staff(store, "camille@dklik.fr", Role::Advisor).await;
    let a = add(
        store,
        &interest_form("Ana", "0611111111", ""),
        None,
        1_790_000_000,
        "2026-11-20",
    )
    .await;
    let b = add(
        store,
        &interest_form("Bilal", "0622222222", ""),
        None,
        1_790_000_000,
        "2026-12-10",
    )
    .await;
    store
        .assign_interest(a, Some(camille), 1_790_000_010)
        .await
        .expect("assign");
    let mine = store
        .inbox(&InboxFilter {
            assigned_to: Some(camille),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    assert_eq!(
        mine.iter().map(|r| r.interest.id).collect::<Vec<_>>(),
        vec![a]
    );
    assert_eq!(mine[0].assigned_name.as_deref(), Some("camille"));
    let free = store
        .inbox(&InboxFilter {
            unassigned: true,
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    assert_eq!(
        free.iter().map(|r| r.interest.id).collect::<Vec<_>>(),
        vec![b]
    );
    // Pages: a count of every page and each page from its offset, in the inbox's order.
    let every = store
        .inbox(&InboxFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("inbox");
    assert!(every.len() >= 2);
    let count = |f: InboxFilter| async move { store.inbox_count(&f, 1_000).await.expect("count") };
    assert_eq!(count(InboxFilter::default()).await, every.len() as u64);
    assert_eq!(
        store
            .inbox_count(&InboxFilter::default(), 1)
            .await
            .expect("capped"),
        1,
        "counted up to the cap"
    );
    assert_eq!(
        count(InboxFilter {
            unassigned: true,
            ..Default::default()
        })
        .await,
        1
    );
    let second = store
        .inbox(&InboxFilter {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await
        .expect("page 2");
    assert_eq!(second[0].interest.id, every[1].interest.id);
    let late = store
        .inbox(&InboxFilter {
            overdue_on: Some(day("2026-11-29")),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    assert_eq!(
        late.iter().map(|r| r.interest.id).collect::<Vec<_>>(),
        vec![a]
    );
    store
        .set_interest_status(a, InterestStatus::Contacted, 1_790_000_020)
        .await
        .expect("contacted");
    let late = store
        .inbox(&InboxFilter {
            overdue_on: Some(day("2026-11-29")),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    assert!(late.is_empty(), "a contacted person is no longer overdue");
    let err = store
        .set_interest_status(a, InterestStatus::New, 1_790_000_030)
        .await
        .expect_err("no way back to new");
    assert!(matches!(err, dklik_app::StoreError::Conflict(_)));
    assert!(matches!(
        store.assign_interest(999_999, None, 0).await,
        Err(dklik_app::StoreError::NotFound)
    ));
    assert!(store
        .claim_job_run("daily_reminders", day("2026-11-29"))
        .await
        .expect("claim"));
    assert!(!store
        .claim_job_run("daily_reminders", day("2026-11-29"))
        .await
        .expect("claim"));
    assert!(store
        .claim_job_run("daily_reminders", day("2026-11-30"))
        .await
        .expect("claim"));
}

fn demo_gtfs() -> dklik_transit::gtfs::Feed {
    dklik_transit::gtfs::read(&fixtures_dir().join("gtfs/dunkerque-demo")).expect("demo feed")
}

pub async fn gtfs_feed_round_trip_and_replace(store: &dyn Store) {
    assert!(store.load_gtfs().await.expect("empty").stops.is_empty());
    let mut feed = demo_gtfs();
    let n = store.save_gtfs(&feed, &|_| {}).await.expect("save");
    assert!(n > 10_000, "{n}");
    let mut back = store.load_gtfs().await.expect("load");
    for f in [&mut feed, &mut back] {
        f.calendars.sort_by(|a, b| a.service_id.cmp(&b.service_id));
        f.calendar_dates
            .sort_by(|a, b| (&a.service_id, a.date).cmp(&(&b.service_id, b.date)));
        f.stops.sort_by(|a, b| a.id.cmp(&b.id));
        f.routes.sort_by(|a, b| a.id.cmp(&b.id));
        f.trips.sort_by(|a, b| a.id.cmp(&b.id));
        f.notes.clear();
    }
    assert_eq!(back, feed, "what is loaded is what was imported");
    // A second import replaces the first whole.
    let mut small = demo_gtfs();
    small.routes.truncate(1);
    let keep = small.routes[0].id.clone();
    small.trips.retain(|t| t.route_id == keep);
    let trips: std::collections::HashSet<String> =
        small.trips.iter().map(|t| t.id.clone()).collect();
    small.stop_times.retain(|s| trips.contains(&s.trip_id));
    store.save_gtfs(&small, &|_| {}).await.expect("replace");
    let back = store.load_gtfs().await.expect("load");
    assert_eq!(back.routes.len(), 1);
    assert_eq!(back.trips.len(), small.trips.len());
}

/// A GTFS import is written beside the feed in use, in short steps: while it writes, and
/// after it fails, the feed in use is read whole; its switch shows the new feed at once.
pub async fn a_gtfs_import_is_seen_whole_or_not_at_all(store: &dyn Store) {
    let demo = demo_gtfs();
    store.save_gtfs(&demo, &|_| {}).await.expect("first feed");
    let version = store.gtfs_version().await.expect("version");
    // A feed that fails at its last table (a shape point twice is kept once; a stop time
    // twice is refused).
    let mut bad = demo_gtfs();
    bad.routes.truncate(1);
    let dup = bad.stop_times.last().expect("stop times").clone();
    bad.stop_times.push(dup);
    assert!(store.save_gtfs(&bad, &|_| {}).await.is_err());
    let back = store.load_gtfs().await.expect("load");
    assert_eq!(
        (back.routes.len(), back.stop_times.len()),
        (demo.routes.len(), demo.stop_times.len()),
        "the feed in use, whole"
    );
    assert_eq!(store.gtfs_version().await.expect("version"), version);
    // A bigger feed (every trip four times): read while it writes, only the old or the new.
    let mut big = demo_gtfs();
    for k in 1..4 {
        for t in demo.trips.iter() {
            let mut t = t.clone();
            t.id = format!("{}-{k}", t.id);
            big.trips.push(t);
        }
        for st in demo.stop_times.iter() {
            let mut st = st.clone();
            st.trip_id = format!("{}-{k}", st.trip_id);
            big.stop_times.push(st);
        }
    }
    let done = std::cell::Cell::new(false);
    let mut seen = Vec::new();
    let (saved, ()) = tokio::join!(
        async {
            let r = store.save_gtfs(&big, &|_| {}).await;
            done.set(true);
            r
        },
        async {
            while !done.get() {
                let f = store.load_gtfs().await.expect("load while writing");
                seen.push((f.trips.len(), f.stop_times.len()));
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    );
    saved.expect("the big feed");
    assert!(!seen.is_empty(), "read while the import wrote");
    let old = (demo.trips.len(), demo.stop_times.len());
    let new = (big.trips.len(), big.stop_times.len());
    assert!(
        seen.iter().all(|s| *s == old || *s == new),
        "only a whole feed is read: {seen:?}"
    );
    let back = store.load_gtfs().await.expect("load");
    assert_eq!((back.trips.len(), back.stop_times.len()), new);
    assert!(store.gtfs_version().await.expect("version") > version);
    // The next import sweeps the feeds no longer in use, and reads stay whole.
    store
        .save_gtfs(&demo, &|_| {})
        .await
        .expect("the demo again");
    let back = store.load_gtfs().await.expect("load");
    assert_eq!((back.trips.len(), back.stop_times.len()), old);
}

pub async fn impressions_are_idempotent_and_scans_attributed(store: &dyn Store) {
    use dklik_app::Impression;
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    let imp = |code: &str, vehicle: &str, stop: &str, at: i64| Impression {
        code: code.into(),
        vehicle: vehicle.into(),
        trip_id: Some("T1".into()),
        stop_id: Some("S1".into()),
        stop_name: stop.into(),
        offer_id: Some(o.id),
        slide: "offer".into(),
        shown_at: at,
        duration_s: 10,
        scans: 0,
        screen: None,
        source: "dklik".into(),
    };
    let batch = vec![
        imp("AAAA1111", "bus-1", "Mardyck Usine", 1_790_000_000),
        imp("AAAA2222", "bus-2", "Mardyck Usine", 1_790_000_100),
        imp("AAAA3333", "bus-1", "Gare", 1_790_000_200),
    ];
    assert_eq!(store.record_impressions(&batch).await.expect("first"), 3);
    assert_eq!(
        store.record_impressions(&batch).await.expect("again"),
        0,
        "a batch sent twice counts once"
    );
    assert!(store
        .record_scan("AAAA1111", 1_790_000_050)
        .await
        .expect("scan"));
    assert!(store
        .record_scan("AAAA1111", 1_790_000_060)
        .await
        .expect("scan"));
    assert!(!store
        .record_scan("ZZZZ0000", 1_790_000_060)
        .await
        .expect("unknown"));
    let got = store.impression("AAAA1111").await.expect("q").expect("row");
    assert_eq!(
        (got.scans, got.vehicle.as_str(), got.offer_id),
        (2, "bus-1", Some(o.id))
    );
    let report = store
        .display_report(o.employer_id, 1_789_999_000, 1_790_001_000)
        .await
        .expect("report");
    let mardyck = report
        .iter()
        .find(|r| r.stop_name == "Mardyck Usine")
        .expect("row");
    assert_eq!(
        (mardyck.impressions, mardyck.vehicles, mardyck.scans),
        (2, 2, 2)
    );
    assert_eq!(report.iter().map(|r| r.impressions).sum::<i64>(), 3);
    let other = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("q")
        .expect("offer");
    assert!(
        store
            .display_report(other.employer_id, 0, i64::MAX)
            .await
            .expect("report")
            .is_empty(),
        "only the employer's own offers"
    );
}

pub async fn daily_reminder_once_a_day(store: &dyn Store) {
    load_demo(store).await;
    let camille = staff(store, "camille@dklik.fr", Role::Advisor).await;
    staff(store, "yanis@dklik.fr", Role::MobileTeam).await;
    let a = add(
        store,
        &interest_form("Ana", "0611111111", ""),
        None,
        1_790_000_000,
        "2026-11-20",
    )
    .await;
    add(
        store,
        &interest_form("Bilal", "0622222222", ""),
        None,
        1_790_000_000,
        "2026-11-21",
    )
    .await;
    add(
        store,
        &interest_form("Chloé", "0633333333", ""),
        None,
        1_790_000_000,
        "2026-12-20",
    )
    .await;
    store
        .assign_interest(a, Some(camille), 1_790_000_001)
        .await
        .expect("assign");
    let today = day("2026-11-30");
    let n = dklik_app::inbox::daily_reminders(store, today, "https://dklik.example", 1_790_000_002)
        .await
        .expect("reminders");
    assert_eq!(
        n, 1,
        "the advisor gets one email; the mobile team has nothing overdue"
    );
    let m = &store.outbox(5).await.expect("outbox")[0];
    assert_eq!(m.to, "camille@dklik.fr");
    assert!(m.body.contains("Ana"), "{}", m.body);
    assert!(!m.body.contains("Chloé"), "not overdue yet");
    assert!(
        m.body
            .contains("1 demande(s) en retard ne sont confiées à personne"),
        "{}",
        m.body
    );
    let again =
        dklik_app::inbox::daily_reminders(store, today, "https://dklik.example", 1_790_000_003)
            .await
            .expect("again");
    assert_eq!(again, 0, "once a day, even with several servers");
}

pub async fn accounts_sessions_and_lockout(store: &dyn Store) {
    use dklik_app::auth::{self, AuthError};
    let id = staff(store, "Admin@DKLIK.fr", Role::Admin).await;
    let dup = auth::create_user(
        store,
        "admin@dklik.fr",
        "Autre",
        "une phrase de passe",
        Role::Advisor,
        None,
        0,
    )
    .await;
    assert!(
        matches!(
            dup,
            Err(AuthError::Store(dklik_app::StoreError::Conflict(_)))
        ),
        "{dup:?}"
    );
    let now = 1_790_000_000;
    let (u, s) = auth::login(
        store,
        "admin@dklik.fr",
        "une phrase de passe",
        "127.0.0.1",
        now,
    )
    .await
    .expect("login");
    assert_eq!((u.id, u.role), (id, Role::Admin));
    let rec = auth::session(store, &s.token, now + 10)
        .await
        .expect("q")
        .expect("session");
    assert_eq!(rec.user.map(|u| u.id), Some(id));
    assert_eq!(rec.csrf, s.csrf);
    assert!(
        auth::session(store, &s.token, now + auth::SESSION_SECONDS + 1)
            .await
            .expect("q")
            .is_none(),
        "expired"
    );
    assert!(auth::session(store, "forged", now)
        .await
        .expect("q")
        .is_none());
    auth::logout(store, &s.token).await.expect("logout");
    assert!(
        auth::session(store, &s.token, now + 10)
            .await
            .expect("q")
            .is_none(),
        "logged out"
    );
    // Wrong passwords hold back the address they come from, for that account, 15 minutes,
    // even for the right password; another address still signs in.
    const A: &str = "203.0.113.7";
    const B: &str = "198.51.100.9";
    for k in 1..auth::MAX_FAILED_LOGINS {
        let e = auth::login(store, "admin@dklik.fr", "mauvais mot de passe", A, now + k).await;
        assert!(matches!(e, Err(AuthError::BadCredentials)), "{e:?}");
    }
    let e = auth::login(store, "admin@dklik.fr", "mauvais mot de passe", A, now + 10).await;
    assert!(matches!(e, Err(AuthError::Locked)), "{e:?}");
    let e = auth::login(store, "admin@dklik.fr", "une phrase de passe", A, now + 20).await;
    assert!(matches!(e, Err(AuthError::Locked)), "{e:?}");
    auth::login(store, "admin@dklik.fr", "une phrase de passe", B, now + 21)
        .await
        .expect("the owner, from another address, is not locked out");
    auth::login(
        store,
        "admin@dklik.fr",
        "une phrase de passe",
        A,
        now + 20 + auth::LOCKOUT_SECONDS,
    )
    .await
    .expect("unlocked later");
    let e = auth::login(store, "personne@dklik.fr", "une phrase de passe", A, now).await;
    assert!(matches!(e, Err(AuthError::BadCredentials)));
    // An unknown account answers with the same words, and is held back the same way: the
    // answer says nothing of which accounts exist.
    for k in 2..auth::MAX_FAILED_LOGINS {
        let e = auth::login(store, "personne@dklik.fr", "x", A, now + k).await;
        assert!(matches!(e, Err(AuthError::BadCredentials)), "{e:?}");
    }
    let e = auth::login(store, "personne@dklik.fr", "x", A, now + 10).await;
    assert!(matches!(e, Err(AuthError::Locked)), "{e:?}");
}

pub async fn password_reset_links_work_once(store: &dyn Store) {
    use dklik_app::auth::{self, AuthError};
    let id = staff(store, "camille@dklik.fr", Role::Advisor).await;
    let now = 1_790_000_000;
    let (_, s) = auth::login(
        store,
        "camille@dklik.fr",
        "une phrase de passe",
        "127.0.0.1",
        now,
    )
    .await
    .expect("login");
    auth::request_password_reset(store, "camille@dklik.fr", "https://dklik.example", now)
        .await
        .expect("request");
    auth::request_password_reset(store, "inconnu@dklik.fr", "https://dklik.example", now)
        .await
        .expect("same answer");
    let mails = store.outbox(10).await.expect("outbox");
    assert_eq!(mails.len(), 1, "no mail for an unknown address");
    let link = mails[0]
        .body
        .lines()
        .find(|l| l.contains("jeton="))
        .expect("link");
    let token = link.split("jeton=").nth(1).expect("token").trim();
    let e = auth::complete_password_reset(store, token, "court", now + 60).await;
    assert!(
        matches!(e, Err(AuthError::Invalid(_))),
        "a short password is refused first"
    );
    assert_eq!(
        auth::complete_password_reset(store, token, "nouvelle phrase de passe", now + 60)
            .await
            .expect("reset"),
        id
    );
    assert!(
        auth::session(store, &s.token, now + 70)
            .await
            .expect("q")
            .is_none(),
        "old sessions closed"
    );
    let again =
        auth::complete_password_reset(store, token, "encore une autre phrase", now + 80).await;
    assert!(
        matches!(again, Err(AuthError::InvalidLink)),
        "a link works once"
    );
    auth::login(
        store,
        "camille@dklik.fr",
        "nouvelle phrase de passe",
        "127.0.0.1",
        now + 90,
    )
    .await
    .expect("new password");
    // An expired link.
    auth::request_password_reset(store, "camille@dklik.fr", "https://x", now)
        .await
        .expect("request");
    let body = store.outbox(1).await.expect("outbox")[0].body.clone();
    let token = body
        .split("jeton=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token")
        .to_string();
    let late = auth::complete_password_reset(
        store,
        &token,
        "nouvelle phrase de passe",
        now + auth::RESET_SECONDS + 1,
    )
    .await;
    assert!(matches!(late, Err(AuthError::InvalidLink)));
    // A new request ends the earlier links; a completed reset ends every link of the account.
    let link_of = |body: &str| {
        body.split("jeton=")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("token")
            .to_string()
    };
    auth::request_password_reset(store, "camille@dklik.fr", "https://x", now + 100)
        .await
        .expect("request");
    let first = link_of(&store.outbox(1).await.expect("outbox")[0].body);
    auth::request_password_reset(store, "camille@dklik.fr", "https://x", now + 110)
        .await
        .expect("request");
    let second = link_of(&store.outbox(1).await.expect("outbox")[0].body);
    assert_ne!(first, second);
    assert!(
        matches!(
            auth::complete_password_reset(store, &first, "une phrase de passe 2", now + 120).await,
            Err(AuthError::InvalidLink)
        ),
        "a newer link replaces the earlier one"
    );
    auth::request_password_reset(store, "camille@dklik.fr", "https://x", now + 130)
        .await
        .expect("request");
    let third = link_of(&store.outbox(1).await.expect("outbox")[0].body);
    store
        .create_one_time_token(
            &auth::token_hash("un-autre-lien-encore-valable"),
            "password_reset",
            Some(id),
            None,
            now + 131,
            now + 3000,
        )
        .await
        .expect("another live link");
    auth::complete_password_reset(store, &third, "une phrase de passe 3", now + 140)
        .await
        .expect("reset");
    assert!(
        store
            .use_one_time_token(
                &auth::token_hash("un-autre-lien-encore-valable"),
                "password_reset",
                now + 150
            )
            .await
            .expect("q")
            .is_none(),
        "a completed reset ends every other link"
    );
    // Two uses at the same time: exactly one wins.
    auth::request_password_reset(store, "camille@dklik.fr", "https://x", now)
        .await
        .expect("request");
    let body = store.outbox(1).await.expect("outbox")[0].body.clone();
    let token = body
        .split("jeton=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token")
        .to_string();
    let h = dklik_app::auth::token_hash(&token);
    let (x, y) = tokio::join!(
        store.use_one_time_token(&h, "password_reset", now + 5),
        store.use_one_time_token(&h, "password_reset", now + 5)
    );
    assert_eq!(
        [x.expect("x").is_some(), y.expect("y").is_some()]
            .iter()
            .filter(|b| **b)
            .count(),
        1
    );
}

/// Text messages kept in memory instead of being sent.
#[derive(Default)]
pub struct KeptTexts(pub std::sync::Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl dklik_app::orientation::SmsSender for KeptTexts {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .push((to.to_string(), text.to_string()));
        Ok(())
    }
}

/// The 6-digit code of a "votre code … est 123456" text.
pub fn code_in_text(text: &str) -> String {
    text.split(" est ")
        .nth(1)
        .expect("a code in the text")
        .chars()
        .take(6)
        .collect()
}

pub async fn person_login_by_code(store: &dyn Store) {
    use dklik_app::auth::{self, AuthError, ServerKey};
    let key = ServerKey::random().expect("key");
    let texts = KeptTexts::default();
    add(
        store,
        &interest_form("Léa", "", "lea@exemple.fr"),
        None,
        1_790_000_000,
        "2026-12-01",
    )
    .await;
    let now = 1_790_000_500;
    let code_in = |body: &str| -> String {
        body.split(": ")
            .nth(1)
            .expect("code")
            .chars()
            .take(6)
            .collect()
    };
    auth::request_person_code(store, &key, &texts, "lea@exemple.fr", now)
        .await
        .expect("code");
    auth::request_person_code(store, &key, &texts, "inconnue@exemple.fr", now)
        .await
        .expect("same answer");
    let mails = store.outbox(10).await.expect("outbox");
    assert_eq!(mails.len(), 1);
    let code = code_in(&mails[0].body);
    // The code is stored as an HMAC under the server's key, not as sha256(id:code).
    let person = store
        .person_for_login("lea@exemple.fr")
        .await
        .expect("q")
        .expect("person");
    assert!(person.email_verified_at.is_none(), "typed in a form");
    let live = store
        .try_person_code(
            person.id,
            dklik_app::people_store::CodePurpose::Login,
            now,
            100,
        )
        .await
        .expect("q")
        .expect("live");
    assert_ne!(
        live.code_mac,
        auth::token_hash(&format!("{}:{code}", person.id))
    );
    assert!(!live.code_mac.contains(&code));
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(matches!(
        auth::person_login(store, &key, "lea@exemple.fr", wrong, now + 5).await,
        Err(AuthError::InvalidLink)
    ));
    // A code made under another key does not open the space.
    let other_key = ServerKey::random().expect("key");
    assert!(
        auth::person_login(store, &other_key, "lea@exemple.fr", &code, now + 6)
            .await
            .is_err()
    );
    let (pid, s) = auth::person_login(store, &key, "lea@exemple.fr", &code, now + 10)
        .await
        .expect("login");
    let rec = auth::session(store, &s.token, now + 20)
        .await
        .expect("q")
        .expect("session");
    assert_eq!(rec.person_id, Some(pid));
    assert!(rec.user.is_none());
    assert!(
        store
            .person(pid)
            .await
            .expect("q")
            .expect("p")
            .email_verified_at
            .is_some(),
        "using the code proves the address"
    );
    assert!(
        auth::person_login(store, &key, "lea@exemple.fr", &code, now + 30)
            .await
            .is_err(),
        "once only"
    );
    // One live code: a new one replaces the earlier.
    auth::request_person_code(store, &key, &texts, "lea@exemple.fr", now + 100)
        .await
        .expect("code");
    let first = code_in(&store.outbox(1).await.expect("outbox")[0].body);
    auth::request_person_code(store, &key, &texts, "lea@exemple.fr", now + 110)
        .await
        .expect("code");
    let second = code_in(&store.outbox(1).await.expect("outbox")[0].body);
    if first != second {
        assert!(
            auth::person_login(store, &key, "lea@exemple.fr", &first, now + 120)
                .await
                .is_err(),
            "the earlier code no longer works"
        );
    }
    // Five tries per code: after five wrong ones, even the right code fails.
    auth::request_person_code(store, &key, &texts, "lea@exemple.fr", now + 200)
        .await
        .expect("code");
    let right = code_in(&store.outbox(1).await.expect("outbox")[0].body);
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for k in 0..auth::CODE_TRIES {
        assert!(
            auth::person_login(store, &key, "lea@exemple.fr", wrong, now + 210 + k)
                .await
                .is_err()
        );
    }
    assert!(
        auth::person_login(store, &key, "lea@exemple.fr", &right, now + 220)
            .await
            .is_err(),
        "the code ended after 5 wrong tries"
    );
    // At most 5 codes an hour for one person, whoever asks: 4 sent above in this hour
    // (the one of `now` is older than an hour only later), one more, then none.
    let before = store.outbox(100).await.expect("outbox").len();
    for k in 0..5 {
        auth::request_person_code(store, &key, &texts, "lea@exemple.fr", now + 300 + k)
            .await
            .expect("same answer");
    }
    let sent = store.outbox(100).await.expect("outbox").len() - before;
    assert_eq!(sent as i64, auth::CODES_PER_HOUR - 4, "per-person limit");
    assert!(
        texts.0.lock().expect("lock").is_empty(),
        "no text for an e-mail"
    );
    // By mobile: a request left with a phone only; the code goes by text.
    add(
        store,
        &interest_form("Nour", "06 98 76 54 32", ""),
        None,
        1_790_000_000,
        "2026-12-01",
    )
    .await;
    auth::request_person_code(store, &key, &texts, "+33 6 98 76 54 32", now)
        .await
        .expect("code");
    auth::request_person_code(store, &key, &texts, "07 00 00 00 01", now)
        .await
        .expect("same answer, nobody has it");
    let (to, text) = texts.0.lock().expect("lock").pop().expect("one text");
    assert!(texts.0.lock().expect("lock").is_empty());
    assert_eq!(to, "06 98 76 54 32");
    let code = code_in_text(&text);
    assert!(matches!(
        auth::request_person_code(store, &key, &texts, "03 28 00 00 00", now).await,
        Err(AuthError::Invalid(_))
    ));
    let (pid, _) = auth::person_login(store, &key, "0698765432", &code, now + 10)
        .await
        .expect("in by mobile");
    let p = store.person(pid).await.expect("q").expect("person");
    assert_eq!(p.first_name.as_deref(), Some("Nour"));
    assert!(p.phone_verified_at.is_some() && p.email_verified_at.is_none());
    assert_eq!(
        store
            .person_for_phone_login("06 98 76 54 32")
            .await
            .expect("q")
            .map(|p| p.id),
        Some(pid)
    );
}

pub async fn api_tokens_are_hashed_and_revocable(store: &dyn Store) {
    use dklik_app::auth;
    let now = 1_790_000_000;
    let (id, token) = auth::create_api_token(store, "Écran bus 12", Role::Screen, now)
        .await
        .expect("token");
    assert!(auth::create_api_token(store, "x", Role::Admin, now)
        .await
        .is_err());
    assert_eq!(
        auth::check_api_token(store, &token, now + 1)
            .await
            .expect("q"),
        Some(Role::Screen)
    );
    assert_eq!(
        auth::check_api_token(store, "dk_nope", now)
            .await
            .expect("q"),
        None
    );
    let listed = store.api_tokens().await.expect("list");
    assert_eq!(listed[0].last_used_at, Some(now + 1));
    store.revoke_api_token(id, now + 2).await.expect("revoke");
    assert_eq!(
        auth::check_api_token(store, &token, now + 3)
            .await
            .expect("q"),
        None,
        "revoked"
    );
    assert!(matches!(
        store.revoke_api_token(id, now + 4).await,
        Err(dklik_app::StoreError::NotFound)
    ));
}

pub async fn outbox_retries_with_backoff(store: &dyn Store) {
    use dklik_app::mail::{deliver_due, Mailer};
    struct Flaky(std::sync::atomic::AtomicU32);
    #[async_trait::async_trait]
    impl Mailer for Flaky {
        async fn send(&self, _: &dklik_app::OutboxMessage) -> Result<(), String> {
            if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                Err("serveur indisponible".into())
            } else {
                Ok(())
            }
        }
    }
    let now = 1_790_000_000;
    store
        .enqueue_mail("a@exemple.fr", "Sujet", "Corps", now)
        .await
        .expect("enqueue");
    let mailer = Flaky(std::sync::atomic::AtomicU32::new(0));
    let r = deliver_due(store, &mailer, now).await.expect("round 1");
    assert_eq!((r.sent, r.failed), (0, 1));
    let m = &store.outbox(1).await.expect("outbox")[0];
    assert_eq!((m.attempts, m.sent_at), (1, None));
    assert_eq!(m.last_error.as_deref(), Some("serveur indisponible"));
    let r = deliver_due(store, &mailer, now + 30)
        .await
        .expect("too early");
    assert_eq!((r.sent, r.failed), (0, 0), "not retried before its delay");
    let r = deliver_due(store, &mailer, now + 61)
        .await
        .expect("round 2");
    assert_eq!(r.sent, 1);
    let m = &store.outbox(1).await.expect("outbox")[0];
    assert_eq!(m.sent_at, Some(now + 61));
    assert!(
        store
            .due_mails(now + 10_000, 10)
            .await
            .expect("due")
            .is_empty(),
        "never sent twice"
    );
}

pub async fn erasure_keeps_anonymous_figures(store: &dyn Store) {
    use dklik_app::privacy;
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("q")
        .expect("offer");
    let old = add(
        store,
        &interest_form("Ana", "0611111111", "ana@exemple.fr"),
        Some(o.id),
        1_700_000_000,
        "2023-11-20",
    )
    .await;
    let recent = add(
        store,
        &interest_form("Bilal", "0622222222", ""),
        Some(o.id),
        1_790_000_000,
        "2026-12-01",
    )
    .await;
    let ana = store
        .interest(old)
        .await
        .expect("q")
        .expect("row")
        .interest
        .person_id;
    let export = privacy::export_person(store, ana, None, "test", 1_790_000_001)
        .await
        .expect("export");
    assert_eq!(export["person"]["first_name"], "Ana");
    assert_eq!(export["interests"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(export["consents"].as_array().map(|a| a.len()), Some(1));
    // Retention: 24 months without activity → anonymised; the recent person stays.
    let n = privacy::retention_job(store, 24, 1_790_000_002)
        .await
        .expect("retention");
    assert_eq!(n, 1);
    let p = store.person(ana).await.expect("q").expect("row kept");
    assert_eq!((p.first_name, p.phone, p.email), (None, None, None));
    assert!(p.anonymised_at.is_some());
    let rows = store.interests(10).await.expect("interests");
    assert_eq!(rows.len(), 2, "requests stay for the figures");
    assert!(rows
        .iter()
        .any(|r| r.id == old && r.first_name.is_empty() && r.offer_id == Some(o.id)));
    assert!(rows
        .iter()
        .any(|r| r.id == recent && r.first_name == "Bilal"));
    assert!(store
        .person_by_email("ana@exemple.fr")
        .await
        .expect("q")
        .is_none());
    let audit = store
        .audit_log(Some(&format!("person:{ana}")), 10)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, vec!["erase", "export"]);
    assert_eq!(audit[0].actor, "tâche de rétention");
    assert!(matches!(
        store.erase_person(PersonId(424_242), 0).await,
        Err(dklik_app::StoreError::NotFound)
    ));
}

pub async fn employers_and_sites(store: &dyn Store) {
    load_demo(store).await;
    let employers = store.employers().await.expect("employers");
    assert_eq!(employers.len(), 13);
    assert_eq!(
        employers.iter().map(|e| e.published_offers).sum::<u64>(),
        62
    );
    let first = &employers[0];
    let e = store
        .employer(first.employer.id)
        .await
        .expect("query")
        .expect("employer");
    assert_eq!(e.name, first.employer.name);
    let sites = store.sites(e.id).await.expect("sites");
    assert_eq!(
        sites.len(),
        1,
        "offers of one employer at one address share a site"
    );
    assert!(store
        .employer(dklik_domain::EmployerId(424_242))
        .await
        .expect("query")
        .is_none());
}

pub async fn screen_settings_round_trip(store: &dyn Store) {
    use dklik_app::store::{CampaignRecord, ScreenMessage, ScreenRecord};
    load_demo(store).await;
    let o1 = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o1");
    let o2 = store
        .offer_by_external_id("DEMO-002")
        .await
        .expect("q")
        .expect("o2");
    let day = |d: u8| time::Date::from_calendar_date(2026, time::Month::December, d).expect("d");
    let c = CampaignRecord {
        id: 0,
        name: "Soudeurs de décembre".into(),
        offer_ids: vec![o2.id, o1.id],
        from: day(1),
        to: day(20),
        from_minute: 6 * 60,
        to_minute: 9 * 60 + 30,
        weight: 2.5,
        lines: vec!["C1".into(), "L12".into()],
    };
    let id = store.add_campaign(&c, 1).await.expect("campaign");
    let got = store.campaigns().await.expect("campaigns");
    assert_eq!(got.len(), 1);
    let mut want = c.clone();
    want.id = id;
    want.offer_ids.sort_by_key(|o| o.0);
    assert_eq!(got[0], want);
    store.delete_campaign(id).await.expect("delete");
    assert!(store.campaigns().await.expect("c").is_empty());
    assert!(matches!(
        store.delete_campaign(id).await,
        Err(dklik_app::StoreError::NotFound)
    ));

    let site = o1.site.id;
    store.set_fence(site, 300.0, 1).await.expect("fence");
    store.set_fence(site, 450.0, 2).await.expect("fence again");
    let fences = store.fences().await.expect("fences");
    assert_eq!(fences.len(), 1, "one fence per site");
    assert_eq!(fences[0].radius_m, 450.0);
    assert_eq!(fences[0].site_id, site);
    assert_eq!(fences[0].lat, o1.site.coordinates.lat());
    store
        .delete_fence(fences[0].id)
        .await
        .expect("delete fence");
    assert!(store.fences().await.expect("f").is_empty());

    let scr = ScreenRecord {
        id: "bus-214-avant".into(),
        vehicle: "bus-214".into(),
        label: "Écran avant".into(),
        line: Some("C1".into()),
        region: "tiers-droit".into(),
    };
    store.add_screen(&scr, 1).await.expect("screen");
    assert!(matches!(
        store.add_screen(&scr, 2).await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    assert_eq!(
        store.screen("bus-214-avant").await.expect("s"),
        Some(scr.clone())
    );
    assert_eq!(store.screens().await.expect("s"), vec![scr]);
    store.delete_screen("bus-214-avant").await.expect("del");
    assert_eq!(store.screen("bus-214-avant").await.expect("s"), None);

    let m = ScreenMessage {
        id: 0,
        text: "Café de l'emploi jeudi à 9 h".into(),
        from: day(1),
        to: day(3),
    };
    let mid = store.add_screen_message(&m, 1).await.expect("msg");
    let msgs = store.screen_messages().await.expect("msgs");
    assert_eq!(msgs, vec![ScreenMessage { id: mid, ..m }]);
    store.delete_screen_message(mid).await.expect("del msg");
    assert!(store.screen_messages().await.expect("m").is_empty());
}

fn sample_person(first: &str) -> dklik_domain::PersonInput {
    dklik_domain::PersonForm {
        prenom: first.into(),
        nom: "Benali".into(),
        telephone: "06 11 22 33 44".into(),
        commune: "Grande-Synthe".into(),
        mobilite: vec!["bus".into(), "permis".into()],
        jours: vec!["0".into(), "1".into(), "2".into()],
        horaires: vec!["tot".into(), "matin".into()],
        contraintes: "Garde d'enfants le mercredi".into(),
        ..Default::default()
    }
    .validate(|_| None)
    .expect("valid")
}

pub async fn person_records_timeline_and_skills(store: &dyn Store) {
    use dklik_domain::{Evidence, JourneyEvent, Level, OgrCode, SkillEvidence};
    load_demo(store).await;
    let n = store
        .save_neighbourhoods(&[dklik_domain::Neighbourhood {
            id: 0,
            name: "Quartier de l'Europe".into(),
            commune: "Grande-Synthe".into(),
            insee: "59271".into(),
            qpv: true,
            lat: 51.013,
            lon: 2.30,
            fictional: true,
        }])
        .await
        .expect("neighbourhoods");
    assert_eq!(n, 1);
    let hood = store.neighbourhoods().await.expect("n").remove(0);
    let mut input = sample_person("Inès");
    input.neighbourhood_id = Some(hood.id);
    input.qpv = true;
    let id = store.create_person(&input, 100).await.expect("create");
    let profile = store.person_profile(id).await.expect("q").expect("profile");
    assert_eq!(profile.last_name, "Benali");
    let consents = store.consents(id).await.expect("consents");
    assert_eq!(
        consents.len(),
        1,
        "the consent to be followed is recorded with the record"
    );
    assert_eq!(consents[0].purpose, dklik_domain::privacy::PURPOSE_SUPPORT);
    assert!(profile.qpv && profile.mobility.bus && profile.mobility.licence);
    assert_eq!(profile.neighbourhood_id, Some(hood.id));
    assert_eq!(profile.days.bits(), 0b111);
    input.constraints = "Aucune".into();
    store.update_person(id, &input, 200).await.expect("update");
    assert_eq!(
        store
            .person_profile(id)
            .await
            .expect("q")
            .expect("p")
            .constraints,
        "Aucune"
    );
    assert!(matches!(
        store.update_person(PersonId(999_999), &input, 200).await,
        Err(dklik_app::StoreError::NotFound)
    ));
    let found = store.search_people("benali", 10).await.expect("search");
    assert_eq!(found.len(), 1);
    assert!(found[0].profile.is_some(), "the row carries its profile");
    assert_eq!(store.search_people("0611", 10).await.expect("s").len(), 1);
    // By commune too, with a name.
    let by_commune = store
        .search_people("grande-synthe benali", 10)
        .await
        .expect("s");
    assert_eq!(by_commune.len(), 1);
    assert!(store
        .search_people("dupont", 10)
        .await
        .expect("s")
        .is_empty());
    // The staff's list in memory reads the same people by pages, and its version moves with
    // each change that shows in the list.
    let v0 = store.people_version().await.expect("version");
    let listed = store.listed_people(0, 10).await.expect("listed");
    let me = listed.iter().find(|p| p.id == id).expect("listed");
    assert_eq!(
        (
            me.first_name.as_str(),
            me.last_name.as_str(),
            me.commune.as_str(),
            me.qpv
        ),
        ("Inès", "Benali", "Grande-Synthe", Some(true))
    );
    assert_eq!(me.last_activity_at, 200);
    let after: Vec<_> = store.listed_people(id.0, 10).await.expect("after");
    assert!(
        after.iter().all(|p| p.id.0 > id.0),
        "a page starts after the key"
    );
    let other = store
        .create_person(&sample_person("Léa"), 400)
        .await
        .expect("another");
    let v1 = store.people_version().await.expect("version");
    assert!(v1.0 > v0.0 && v1.1 >= 400, "{v0:?} → {v1:?}");
    let mut renamed = sample_person("Léane");
    renamed.last_name = "Martin".into();
    store
        .update_person(other, &renamed, 450)
        .await
        .expect("edit");
    let v2 = store.people_version().await.expect("version");
    assert!(v2.1 >= 450 && v2 != v1, "{v1:?} → {v2:?}");
    let list = dklik_app::directory::PeopleDirectory::default();
    list.refresh(store, true).await.expect("built");
    let found = list.find("leane martin", 0, 10).expect("ready");
    assert_eq!((found.total, found.rows[0].id), (1, other));
    store.erase_person(other, 500).await.expect("erase");
    let v3 = store.people_version().await.expect("version");
    assert!(v3.1 >= 500, "{v2:?} → {v3:?}");
    assert!(
        list.refresh(store, false).await.expect("rebuilt"),
        "the version moved"
    );
    assert_eq!(list.find("martin", 0, 10).expect("ready").total, 0);
    assert!(
        !list.refresh(store, false).await.expect("same"),
        "nothing moved"
    );

    for (at, kind) in [(300, "test"), (250, "record")] {
        store
            .add_journey_event(&JourneyEvent {
                id: 0,
                person_id: id,
                at,
                kind: kind.into(),
                channel: "conseiller".into(),
                summary: format!("étape {kind}"),
                reference: String::new(),
                actor: "Camille".into(),
                stage: if kind == "test" {
                    "test".into()
                } else {
                    String::new()
                },
                offer_id: None,
                impression: None,
            })
            .await
            .expect("event");
    }
    let j = store.journey(id).await.expect("journey");
    assert_eq!(
        j.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["record", "test"],
        "oldest first"
    );
    assert_eq!(j[1].stage, "test", "the stage is kept");

    let ev = |item: i64, evidence, level| SkillEvidence {
        id: 0,
        person_id: id,
        item: OgrCode(item),
        level: Level::new(level).expect("level"),
        evidence,
        source: "entretien".into(),
        recorded_by: "Camille".into(),
        at: 400,
    };
    store
        .add_skill_evidence(&[
            ev(300465, Evidence::Declared, 2),
            ev(300490, Evidence::Suggested, 2),
        ])
        .await
        .expect("evidence");
    let bad = store
        .add_skill_evidence(&[
            ev(300465, Evidence::Tested, 3),
            ev(1, Evidence::Declared, 2),
        ])
        .await;
    assert!(
        matches!(bad, Err(dklik_app::StoreError::Conflict(_))),
        "unknown item"
    );
    let pieces = store.skill_evidence(id).await.expect("skills");
    assert_eq!(pieces.len(), 2, "nothing half-written: {pieces:?}");
    let suggestion = pieces
        .iter()
        .find(|p| p.evidence == Evidence::Suggested)
        .expect("s");
    store
        .delete_skill_evidence(id, suggestion.id)
        .await
        .expect("delete");
    assert!(
        store
            .delete_skill_evidence(PersonId(id.0 + 1), pieces[0].id)
            .await
            .is_err(),
        "not another's"
    );
    assert_eq!(store.skill_evidence(id).await.expect("s").len(), 1);

    // Endorsement links: once, before they expire.
    let e = store
        .create_endorsement(id, OgrCode(300465), "hash-1", "club de foot", 500, 1_000)
        .await
        .expect("endorse");
    let row = store
        .endorsement_by_hash("hash-1")
        .await
        .expect("q")
        .expect("row");
    assert_eq!(row.id, e);
    assert!(!store
        .complete_endorsement(e, "Karim", "coach", "", 1_001)
        .await
        .expect("late"));
    assert!(store
        .complete_endorsement(e, "Karim", "coach", "Toujours là", 900)
        .await
        .expect("ok"));
    assert!(!store
        .complete_endorsement(e, "Autre", "x", "", 950)
        .await
        .expect("twice"));
    let list = store.endorsements(id).await.expect("list");
    assert_eq!(list[0].endorser_name.as_deref(), Some("Karim"));

    // Questionnaires count once and are sent once.
    let q = dklik_app::skills_store::QuestionnaireResult {
        token: "tok-1".into(),
        answers: "{}".into(),
        skills: "[]".into(),
        created_at: 1,
        person_id: None,
    };
    assert!(store.save_questionnaire(&q).await.expect("save"));
    assert!(!store.save_questionnaire(&q).await.expect("again"));
    // Sent with a request from the same phone: one transaction ties everything to the person.
    let request = NewInterest::from_form(
        &InterestForm {
            first_name: "Samia".into(),
            phone: "06 11 22 33 44".into(),
            best_time: "matin".into(),
            consent: true,
            ..Default::default()
        },
        None,
        Channel::Questionnaire,
        "questionnaire",
    )
    .expect("request");
    let skill = SkillEvidence {
        id: 0,
        person_id: PersonId(0),
        item: OgrCode(300465),
        level: Level::new(2).expect("l"),
        evidence: Evidence::SelfAssessed,
        source: "questionnaire".into(),
        recorded_by: "questionnaire".into(),
        at: 2_000,
    };
    let step = JourneyEvent {
        id: 0,
        person_id: PersonId(0),
        at: 2_000,
        kind: "questionnaire".into(),
        channel: "questionnaire".into(),
        summary: "Questionnaire".into(),
        reference: "questionnaire:tok-1".into(),
        actor: "la personne".into(),
        stage: String::new(),
        offer_id: None,
        impression: None,
    };
    let due = day("2026-12-01");
    let evidence_before = store.skill_evidence(id).await.expect("s").len();
    let interests_before = store.interests(1000).await.expect("i").len();
    let sent = store
        .send_questionnaire(
            "tok-1",
            &request,
            2_000,
            due,
            std::slice::from_ref(&skill),
            &step,
        )
        .await
        .expect("send");
    assert_eq!(sent, id, "the same phone is the same person");
    // A second sending writes nothing at all: no second request, no second skill.
    assert!(matches!(
        store
            .send_questionnaire("tok-1", &request, 2_001, due, &[skill], &step)
            .await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    assert_eq!(
        store.interests(1000).await.expect("i").len(),
        interests_before + 1
    );
    // The record existed: a public form adds no skills to it (the card is tied to it and the
    // advisor adds them once they know who sent it).
    assert_eq!(
        store.skill_evidence(id).await.expect("s").len(),
        evidence_before
    );
    let steps = store.journey(id).await.expect("j");
    assert!(steps
        .iter()
        .any(|e| e.stage == "interest" && e.channel == "questionnaire"));
    assert_eq!(
        steps.iter().filter(|e| e.kind == "questionnaire").count(),
        1
    );
    assert_eq!(
        store
            .questionnaire("tok-1")
            .await
            .expect("q")
            .expect("row")
            .person_id,
        Some(id)
    );

    // Erasure removes the record and the free texts, keeps the neighbourhood for figures.
    store.erase_person(id, 2_000).await.expect("erase");
    assert!(store.person_profile(id).await.expect("q").is_none());
    assert_eq!(
        store.endorsements(id).await.expect("e")[0].endorser_name,
        None
    );
    assert!(store
        .search_people("benali", 10)
        .await
        .expect("s")
        .is_empty());
}

pub async fn tests_sessions_results_and_observations(store: &dyn Store) {
    use dklik_app::skills_store::{Attendance, Observation, ObservedActivity, TestResult};
    use dklik_domain::{
        ActivityKind, Evidence, Level, Modality, OgrCode, SkillEvidence, SkillTest, TestItem,
        TestTarget,
    };
    load_demo(store).await;
    let employer = store.employers().await.expect("e")[0].employer.id.0;
    let rubric = || {
        [
            "Avec aide".to_string(),
            "Seul, lentement".into(),
            "Seul, au bon rythme".into(),
            "Peut montrer aux autres".into(),
        ]
    };
    let t = SkillTest {
        id: 0,
        name: "Travail en équipe sur chaîne".into(),
        description: "Mise en situation à quatre".into(),
        modality: Modality::Simulation,
        duration_min: 90,
        capacity: 8,
        items: vec![
            TestItem {
                target: TestTarget::Habilete(7),
                label: "Travailler en équipe".into(),
                rubric: rubric(),
            },
            TestItem {
                target: TestTarget::Rome(OgrCode(300490)),
                label: "Rigueur".into(),
                rubric: rubric(),
            },
        ],
        employers: vec![employer],
    };
    let tid = store.create_test(&t, 1).await.expect("test");
    assert!(matches!(
        store.create_test(&t, 2).await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    let tests = store.tests().await.expect("tests");
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0].items, t.items);
    assert_eq!(tests[0].employers, vec![employer]);
    let sid = store
        .create_test_session(tid, 10_000, "Chantier-école, Gravelines", 3, 1)
        .await
        .expect("session");
    assert!(matches!(
        store.create_test_session(tid + 99, 10_000, "x", 3, 1).await,
        Err(dklik_app::StoreError::NotFound)
    ));
    let people: Vec<PersonId> = {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(
                store
                    .create_person(&sample_person(&format!("P{i}")), 5)
                    .await
                    .expect("p"),
            );
        }
        v
    };
    // Six registrations at once for three places: never more than three.
    let outcomes =
        futures_util::future::join_all(people.iter().map(|p| store.register_for_test(sid, *p, 6)))
            .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        3,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .all(|e| e.to_string().contains("complète")));
    let listed = store.session_people(sid).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(
        store.test_sessions(Some(tid)).await.expect("s")[0].registered,
        3
    );
    let (present, absent) = (listed[0].person_id, listed[1].person_id);
    store
        .set_test_attendance(sid, present, Attendance::Present, 7)
        .await
        .expect("present");
    store
        .set_test_attendance(sid, absent, Attendance::Absent, 7)
        .await
        .expect("absent");
    let not_on_list = people
        .iter()
        .find(|p| !listed.iter().any(|l| l.person_id == **p))
        .copied()
        .expect("p");
    assert!(store
        .set_test_attendance(sid, not_on_list, Attendance::Present, 7)
        .await
        .is_err());
    let day = time::Date::from_calendar_date(2027, time::Month::March, 12).expect("d");
    let result = |person| TestResult {
        session_id: sid,
        person_id: person,
        target: TestTarget::Habilete(7),
        level: Level::new(3).expect("l"),
        evaluator: "Sophie".into(),
        on_day: day,
        notes: "A aidé un collègue".into(),
    };
    let tested = |person| SkillEvidence {
        id: 0,
        person_id: person,
        item: OgrCode(300465),
        level: Level::new(3).expect("l"),
        evidence: Evidence::Tested,
        source: "test".into(),
        recorded_by: "Sophie".into(),
        at: 8,
    };
    let refused = store
        .save_test_results(&[result(absent)], &[tested(absent)], 8)
        .await;
    assert!(
        matches!(refused, Err(dklik_app::StoreError::Conflict(ref m)) if m.contains("pas passé"))
    );
    assert!(
        store.skill_evidence(absent).await.expect("e").is_empty(),
        "nothing written"
    );
    store
        .save_test_results(&[result(present)], &[tested(present)], 8)
        .await
        .expect("results");
    assert_eq!(
        store.test_results(present).await.expect("r"),
        vec![result(present)]
    );
    assert_eq!(
        store.skill_evidence(present).await.expect("e")[0].evidence,
        Evidence::Tested
    );

    // A week of immersion: attendance per day, observations, review.
    let monday = time::Date::from_calendar_date(2027, time::Month::March, 15).expect("d");
    let a = ObservedActivity {
        id: 0,
        person_id: present,
        kind: ActivityKind::Immersion,
        title: "Semaine au chantier-école".into(),
        place: "Gravelines".into(),
        tutor: "Marc".into(),
        starts_on: monday,
        ends_on: monday + time::Duration::days(4),
        review: None,
        days: vec![],
        observations: vec![],
    };
    let aid = store.create_activity(&a, 9).await.expect("activity");
    store
        .set_activity_day(aid, monday, true)
        .await
        .expect("day");
    store
        .set_activity_day(aid, monday + time::Duration::days(1), false)
        .await
        .expect("day");
    store
        .set_activity_day(aid, monday, false)
        .await
        .expect("changed");
    let o = Observation {
        id: 0,
        item: OgrCode(300490),
        level: Level::new(2).expect("l"),
        comment: "Range ses outils".into(),
        observer: "Marc".into(),
        at: 10,
    };
    let observed = SkillEvidence {
        item: OgrCode(300490),
        evidence: Evidence::Observed,
        level: Level::new(2).expect("l"),
        ..tested(present)
    };
    store
        .add_observation(aid, &o, &observed)
        .await
        .expect("observation");
    store
        .set_activity_review(aid, "Très bonne semaine", 11)
        .await
        .expect("review");
    let got = store.activity(aid).await.expect("q").expect("activity");
    assert_eq!(
        got.days,
        vec![(monday, false), (monday + time::Duration::days(1), false)]
    );
    assert_eq!(got.observations.len(), 1);
    assert_eq!(got.review.as_deref(), Some("Très bonne semaine"));
    assert_eq!(store.activities(present).await.expect("a").len(), 1);
    assert_eq!(store.skill_evidence(present).await.expect("e").len(), 2);
}

fn contact(first: &str, phone: &str) -> dklik_app::orientation_store::Contact {
    dklik_app::orientation_store::Contact {
        first_name: first.into(),
        phone: Some(phone.into()),
        email: None,
        purpose: "orientation".into(),
        consent_version: "orientation-2026-11".into(),
    }
}

fn sample_service(name: &str) -> dklik_domain::orientation::OrientationService {
    use dklik_domain::orientation::{OrientationService, PlaceKind, ServiceKind};
    OrientationService {
        id: 0,
        name: name.into(),
        kind: ServiceKind::Vr,
        audience: "Tout public".into(),
        description: "Essayer le métier de soudeur avec un casque".into(),
        duration_min: 45,
        place_kind: PlaceKind::JobBus,
        place: "Bus de l'emploi".into(),
        equipment: "Casques".into(),
        capacity: 6,
        provider: "Chantier-école".into(),
        trades: vec![dklik_domain::RomeCode::parse("H2913").expect("rome")],
        fictional: true,
    }
}

pub async fn orientation_sessions_never_overbook(store: &dyn Store) {
    use dklik_domain::orientation::RegistrationStatus;
    load_demo(store).await;
    let sid = store
        .create_service(&sample_service("Soudure en réalité virtuelle"), 1)
        .await
        .expect("service");
    assert!(matches!(
        store
            .create_service(&sample_service("Soudure en réalité virtuelle"), 1)
            .await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    let f = dklik_app::orientation_store::ServiceFilter {
        family: Some('H'),
        ..Default::default()
    };
    assert_eq!(store.services(&f).await.expect("s").len(), 1);
    let f = dklik_app::orientation_store::ServiceFilter {
        family: Some('N'),
        ..Default::default()
    };
    assert!(store.services(&f).await.expect("s").is_empty());
    let s = store.service(sid).await.expect("q").expect("service");
    assert_eq!(
        s.trades,
        vec![dklik_domain::RomeCode::parse("H2913").expect("rome")]
    );
    let session = store
        .create_orientation_session(sid, 10_000, 12_700, "Gare", 3, 1)
        .await
        .expect("session");
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(
            store
                .find_or_create_person(
                    &contact(&format!("P{i}"), &format!("06 00 00 00 {i:02}")),
                    5,
                )
                .await
                .expect("p"),
        );
    }
    // The same phone is the same person, with one more consent.
    assert_eq!(
        store
            .find_or_create_person(&contact("P0", "06 00 00 00 00"), 6)
            .await
            .expect("p"),
        people[0]
    );
    assert_eq!(store.consents(people[0]).await.expect("c").len(), 2);
    // Eight at once for three places: three places, five waiting.
    let out = futures_util::future::join_all(
        people
            .iter()
            .map(|p| store.register(session, *p, "site", 100)),
    )
    .await;
    let placed = out
        .iter()
        .filter(|o| matches!(o, Ok((_, RegistrationStatus::Registered))))
        .count();
    let waiting = out
        .iter()
        .filter(|o| matches!(o, Ok((_, RegistrationStatus::Waiting))))
        .count();
    assert_eq!((placed, waiting), (3, 5), "{out:?}");
    let s = store
        .orientation_session(session)
        .await
        .expect("q")
        .expect("s");
    assert_eq!((s.registered, s.waiting), (3, 5));
    assert!(matches!(
        store.register(session, people[0], "site", 101).await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    // A place freed goes to the first waiting.
    let regs = store.registrations(session).await.expect("r");
    let holder = regs
        .iter()
        .find(|r| r.status == RegistrationStatus::Registered)
        .expect("holder");
    let first_waiting = regs
        .iter()
        .filter(|r| r.status == RegistrationStatus::Waiting)
        .min_by_key(|r| (r.created_at, r.id))
        .expect("w")
        .id;
    let promoted = store
        .cancel_registration(holder.id, 200)
        .await
        .expect("cancel");
    assert_eq!(promoted, Some(first_waiting));
    let s = store
        .orientation_session(session)
        .await
        .expect("q")
        .expect("s");
    assert_eq!((s.registered, s.waiting), (3, 4));
    // Attendance only for those holding a place.
    assert!(store
        .set_registration_status(first_waiting, RegistrationStatus::Present, 300)
        .await
        .is_ok());
    let still_waiting = store
        .registrations(session)
        .await
        .expect("r")
        .into_iter()
        .find(|r| r.status == RegistrationStatus::Waiting)
        .expect("w");
    assert!(store
        .set_registration_status(still_waiting.id, RegistrationStatus::Present, 300)
        .await
        .is_err());
    // Reminders: the registered ones, once.
    let due = store.due_reminders(9_000, 11_000).await.expect("due");
    assert_eq!(due.len(), 2, "two still 'registered' (one is now present)");
    store
        .mark_reminded(due[0].registration_id, 301)
        .await
        .expect("mark");
    assert_eq!(
        store.due_reminders(9_000, 11_000).await.expect("due").len(),
        1
    );
    // Surveys before and after.
    store
        .save_survey(first_waiting, false, [2, 1, 1], 302)
        .await
        .expect("before");
    store
        .save_survey(first_waiting, true, [4, 3, 4], 400)
        .await
        .expect("after");
    store
        .save_survey(first_waiting, true, [5, 3, 4], 401)
        .await
        .expect("after again replaces");
    let pairs = store.survey_pairs().await.expect("pairs");
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0].before, pairs[0].after),
        (Some([2, 1, 1]), Some([5, 3, 4]))
    );
    // Past or cancelled sessions refuse registrations; cancelling tells who was on it.
    let late = store
        .find_or_create_person(&contact("Tard", "06 99 99 99 99"), 5)
        .await
        .expect("p");
    assert!(
        matches!(store.register(session, late, "site", 20_000).await, Err(dklik_app::StoreError::Conflict(ref m)) if m.contains("commencé"))
    );
    let told = store
        .cancel_orientation_session(session, 500)
        .await
        .expect("cancel");
    assert_eq!(told.len(), 2 + 4, "registered and waiting people are told");
    assert!(
        matches!(store.register(session, late, "site", 600).await, Err(dklik_app::StoreError::Conflict(ref m)) if m.contains("annulée"))
    );
    assert_eq!(
        store
            .person_registrations(people[1])
            .await
            .expect("r")
            .len(),
        1
    );
}

pub async fn events_and_outreach(store: &dyn Store) {
    use dklik_app::orientation_store::OutreachContact;
    use dklik_domain::orientation::{Event, EventKind};
    load_demo(store).await;
    let offer = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let e = Event {
        id: 0,
        code: String::new(),
        kind: EventKind::CafeEmploi,
        title: "Café de l'emploi industrie".into(),
        description: "Rencontrer les recruteurs".into(),
        starts_at: 10_000,
        ends_at: 17_200,
        place: "Maison de l'emploi".into(),
        lat: Some(51.01),
        lon: Some(2.3),
        cancelled: false,
        employers: vec![],
        offers: vec![],
        registrations: 0,
    };
    let (id, code) = store
        .create_event(&e, &[offer.employer_id], &[offer.id], 1)
        .await
        .expect("event");
    assert_eq!(code.len(), 6);
    let got = store.event_by_code(&code).await.expect("q").expect("event");
    assert_eq!(got.employers, vec![offer.employer_name.clone()]);
    assert_eq!(
        got.offers,
        vec![(offer.code.to_string(), offer.title.clone())]
    );
    assert_eq!(
        store
            .events(Some(EventKind::CafeEmploi), 0)
            .await
            .expect("e")
            .len(),
        1
    );
    assert!(store
        .events(Some(EventKind::Tournee), 0)
        .await
        .expect("e")
        .is_empty());
    assert!(
        store.events(None, 20_000).await.expect("e").is_empty(),
        "past events leave the calendar"
    );
    let p = store
        .find_or_create_person(&contact("Léa", "06 10 10 10 10"), 5)
        .await
        .expect("p");
    store.register_event(id, p, 6).await.expect("register");
    assert!(store.register_event(id, p, 7).await.is_err(), "once");
    assert_eq!(
        store
            .event_by_code(&code)
            .await
            .expect("q")
            .expect("e")
            .registrations,
        1
    );

    let c = OutreachContact {
        id: 0,
        submission: "3f7c9a10b2d44e8f9a1b2c3d4e5f6a7b".into(),
        at: 100,
        recorded_by: None,
        place_kind: "neighbourhood".into(),
        place_ref: "1".into(),
        place_label: "Europe".into(),
        channel: "rue".into(),
        people_count: 3,
        person_id: None,
        needs: "emploi,formation".into(),
        next_step: "rappel".into(),
        notes: String::new(),
    };
    let (cid, new) = store.add_outreach(&c, None, None).await.expect("contact");
    assert!(new);
    let (again, new) = store.add_outreach(&c, None, None).await.expect("again");
    assert_eq!(
        (again, new),
        (cid, false),
        "a submission sent twice counts once"
    );
    assert_eq!(
        store
            .outreach_by_submission(&c.submission)
            .await
            .expect("q")
            .map(|x| x.id),
        Some(cid)
    );
    assert!(store
        .outreach_by_submission("ffffffffffffffffffffffffffffffff")
        .await
        .expect("q")
        .is_none());
    // A contact who agrees to be called back: person, consent, contact and step in one go,
    // applied once even when the phone sends it twice.
    let with_person = OutreachContact {
        submission: "0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
        people_count: 1,
        ..c.clone()
    };
    let step = dklik_domain::JourneyEvent {
        id: 0,
        person_id: PersonId(0),
        at: 100,
        kind: "outreach".into(),
        channel: "equipe_mobile".into(),
        summary: "Rencontre".into(),
        reference: String::new(),
        actor: "équipe".into(),
        stage: "contact".into(),
        offer_id: None,
        impression: None,
    };
    let who = contact("Inès", "06 55 44 33 22");
    let (first, new) = store
        .add_outreach(&with_person, Some(&who), Some(&step))
        .await
        .expect("with person");
    assert!(new);
    let (second, new) = store
        .add_outreach(&with_person, Some(&who), Some(&step))
        .await
        .expect("again");
    assert_eq!((second, new), (first, false));
    let ines = store
        .outreach_by_submission(&with_person.submission)
        .await
        .expect("q")
        .and_then(|x| x.person_id)
        .expect("a person");
    let steps = store.journey(ines).await.expect("j");
    assert_eq!(steps.len(), 1, "one step however many sendings");
    assert_eq!(steps[0].reference, format!("outreach:{first}"));
    assert_eq!(store.consents(ines).await.expect("c").len(), 1);
    store.set_outreach_person(cid, p).await.expect("person");
    let list = store.outreach_contacts(10).await.expect("list");
    assert_eq!(list.len(), 2);
    let first_contact = list
        .iter()
        .find(|x| x.id == cid)
        .expect("the counted contact");
    assert_eq!(
        (first_contact.people_count, first_contact.person_id),
        (3, Some(p))
    );
}

pub async fn introductions_take_positions_and_fill_posts(store: &dyn Store) {
    use dklik_app::introduction_store::{IntroChange, NewIntroduction};
    use dklik_domain::matching::IntroStatus::*;
    load_demo(store).await;
    let offer = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let positions = i64::from(offer.positions);
    let mut ids = Vec::new();
    for i in 0..=positions {
        let p = store
            .create_person(&sample_person(&format!("P{i}")), 1)
            .await
            .expect("p");
        let n = NewIntroduction {
            person_id: p,
            offer_id: offer.id,
            score: 0.7,
            created_by: None,
            at: 10,
            due_at: 100,
            actor: "test".into(),
        };
        let id = store.create_introduction(&n).await.expect("intro");
        assert!(matches!(
            store.create_introduction(&n).await,
            Err(dklik_app::StoreError::Conflict(_))
        ));
        ids.push(id);
    }
    // Proposals in course: every introduction is open, and a waiting call-back request about
    // the post counts too; a request already handled does not.
    let before = store.open_proposals().await.expect("open");
    assert_eq!(before.offer(offer.id.0), ids.len() as u32);
    let waiting = add(
        store,
        &interest_form("Lina", "06 11 22 33 44", ""),
        Some(offer.id),
        30,
        "2026-12-01",
    )
    .await;
    add(
        store,
        &interest_form("Noé", "06 11 22 33 55", ""),
        Some(offer.id),
        31,
        "2026-12-01",
    )
    .await;
    store
        .set_interest_status(waiting, InterestStatus::Contacted, 32)
        .await
        .expect("handled");
    let open = store.open_proposals().await.expect("open");
    assert_eq!(open.offer(offer.id.0), ids.len() as u32 + 1);
    let first = store.introduction(ids[0]).await.expect("q").expect("i");
    assert_eq!(open.person(first.person_id.0), 1);
    let change = |id, from, to| IntroChange {
        id,
        from,
        to,
        at: 20,
        due_at: None,
        actor: "test".into(),
        note: String::new(),
        reason: String::new(),
        feedback: String::new(),
    };
    // A stale change (the introduction moved meanwhile) is refused.
    store
        .change_introduction(&change(ids[0], Suggested, Discussed))
        .await
        .expect("step");
    assert!(store
        .change_introduction(&change(ids[0], Suggested, Discussed))
        .await
        .is_err());
    for (k, id) in ids.iter().enumerate() {
        let out = store
            .change_introduction(&change(
                *id,
                if k == 0 { Discussed } else { Suggested },
                Hired,
            ))
            .await;
        if (k as i64) < positions {
            out.expect("hire");
        } else {
            assert!(
                matches!(out, Err(dklik_app::StoreError::Conflict(ref m)) if m.contains("pourvu")),
                "{out:?}"
            );
        }
    }
    let o = store.offer(offer.id).await.expect("q").expect("o");
    assert_eq!(o.positions, 0);
    assert_eq!(
        o.status,
        dklik_domain::OfferStatus::Filled,
        "the last hire fills the post"
    );
    assert_eq!(store.introduction_steps(ids[0]).await.expect("s").len(), 3);
    // Hires end their introductions: only the one refused for want of a position is open.
    let after = store.open_proposals().await.expect("open");
    assert_eq!(after.offer(offer.id.0), 1 + 1);
    assert_eq!(after.person(first.person_id.0), 0);
    assert_eq!(
        store
            .due_followups(20 + 31 * 86_400)
            .await
            .expect("f")
            .len(),
        positions as usize
    );
    assert_eq!(
        store
            .employer_introductions(Some(offer.employer_id.0))
            .await
            .expect("e")
            .len(),
        ids.len()
    );
}

/// The impact figures of a small fixture whose counts are stated by hand below.
pub async fn impact_facts_and_figures(store: &dyn Store) {
    use dklik_app::impact::{Report, ReportParams};
    use dklik_app::Impression;
    use dklik_domain::impact::{Dimension, Stage};
    use dklik_domain::JourneyEvent;
    load_demo(store).await;
    let feed = demo_gtfs();
    store.save_gtfs(&feed, &|_| {}).await.expect("gtfs");
    let trip = &feed.trips[0];
    let line = feed
        .routes
        .iter()
        .find(|r| r.id == trip.route_id)
        .expect("route")
        .short_name
        .clone();
    let offers = store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("offers")
        .offers;
    let a = offers[0].clone();
    let b = offers
        .iter()
        .find(|o| o.employer_name != a.employer_name)
        .expect("another employer")
        .clone();
    let hoods = [("Quartier de l'Europe", true), ("Centre", false)];
    for (name, qpv) in hoods {
        store
            .save_neighbourhoods(&[dklik_domain::Neighbourhood {
                id: 0,
                name: name.into(),
                commune: "Grande-Synthe".into(),
                insee: "59271".into(),
                qpv,
                lat: 51.01,
                lon: 2.30,
                fictional: true,
            }])
            .await
            .expect("hood");
    }
    let hood_ids: Vec<i64> = store
        .neighbourhoods()
        .await
        .expect("hoods")
        .iter()
        .map(|h| h.id)
        .collect();
    // March 2026, Paris time.
    let t = |d: u8, h: u16| {
        dklik_app::paris_instant(
            time::Date::from_calendar_date(2026, time::Month::March, d).expect("day"),
            h * 60,
        )
    };
    let before = t(1, 0) - 40 * 86_400;
    let after = t(1, 0) + 40 * 86_400;
    // Displays: three in March on one trip (scanned 2 + 1 times), one in January.
    let imp = |code: &str, at: i64| Impression {
        code: code.into(),
        vehicle: "bus-7".into(),
        trip_id: Some(trip.id.clone()),
        stop_id: None,
        stop_name: "Gare".into(),
        offer_id: Some(a.id),
        slide: "offer".into(),
        shown_at: at,
        duration_s: 10,
        scans: 0,
        screen: None,
        source: "dklik".into(),
    };
    store
        .record_impressions(&[
            imp("IMPA0001", t(2, 8)),
            imp("IMPA0002", t(4, 8)),
            imp("IMPA0003", t(6, 8)),
            imp("IMPA0004", before),
        ])
        .await
        .expect("impressions");
    for code in ["IMPA0001", "IMPA0001", "IMPA0002", "IMPA0004"] {
        store.record_scan(code, t(10, 8)).await.expect("scan");
    }
    // Visits: two poster scans for B and one short link for A in March, one in April.
    for (at, channel, offer) in [
        (t(3, 9), "affiche", &b),
        (t(5, 9), "affiche", &b),
        (t(5, 10), "lien", &a),
        (after, "affiche", &b),
    ] {
        store
            .add_link_visit(at, channel, Some(offer.code.as_str()), "offre")
            .await
            .expect("visit");
    }
    // People: records first (neighbourhood, age band, gender), then their requests.
    let person = |first: &str, phone: &str, hood: usize, age: &str, gender: &str| {
        let mut f = dklik_domain::PersonForm {
            prenom: first.into(),
            telephone: phone.into(),
            quartier: hood_ids[hood].to_string(),
            tranche_age: age.into(),
            genre: gender.into(),
            accord_stats: "oui".into(),
            ..Default::default()
        };
        if age.is_empty() {
            f.accord_stats.clear();
        }
        let qpv = hoods[hood].1;
        f.validate(|_| Some(qpv)).expect("valid person")
    };
    let mut ids = Vec::new();
    for (i, (age, gender)) in [
        ("16-25", "f"),
        ("26-44", "h"),
        ("16-25", "f"),
        ("", ""),
        ("45-54", "f"),
        ("", ""),
    ]
    .iter()
    .enumerate()
    {
        let p = person(
            &format!("P{}", i + 1),
            &format!("06 10 00 00 0{}", i + 1),
            i % 2,
            age,
            gender,
        );
        ids.push(store.create_person(&p, 1).await.expect("person"));
    }
    let interest = |n: usize, offer: &dklik_domain::Offer, ch: Channel, imp: Option<&str>, at| {
        let mut i = NewInterest::from_form(
            &InterestForm {
                first_name: format!("P{n}"),
                phone: format!("06 10 00 00 0{n}"),
                best_time: "matin".into(),
                consent: true,
                ..Default::default()
            },
            Some(offer.id),
            ch,
            "",
        )
        .expect("interest");
        i.impression = imp.map(str::to_string);
        (i, at)
    };
    for (i, at) in [
        interest(1, &a, Channel::BusScreen, Some("IMPA0001"), t(2, 9)),
        interest(2, &a, Channel::BusScreen, Some("IMPA0002"), t(4, 9)),
        interest(3, &b, Channel::Poster, None, t(6, 9)),
        interest(4, &a, Channel::Website, None, before),
        interest(6, &a, Channel::Website, None, after),
    ] {
        store
            .add_interest(&i, at, time::macros::date!(2026 - 03 - 31))
            .await
            .expect("interest");
    }
    let step =
        |person: PersonId, at: i64, stage: Option<Stage>, channel: &str, offer: Option<i64>| {
            JourneyEvent {
                id: 0,
                person_id: person,
                at,
                kind: "test".into(),
                channel: channel.into(),
                summary: String::new(),
                reference: String::new(),
                actor: "test".into(),
                stage: stage.map(|s| s.as_str()).unwrap_or("").into(),
                offer_id: offer.map(dklik_domain::OfferId),
                impression: None,
            }
        };
    let (p1, p2, p4, p5) = (ids[0], ids[1], ids[3], ids[4]);
    for e in [
        step(
            p1,
            t(3, 10),
            Some(Stage::Contacted),
            "conseiller",
            Some(a.id.0),
        ),
        step(
            p1,
            t(3, 11),
            Some(Stage::Contacted),
            "conseiller",
            Some(a.id.0),
        ),
        step(
            p1,
            t(10, 10),
            Some(Stage::Introduction),
            "conseiller",
            Some(a.id.0),
        ),
        step(
            p1,
            t(15, 10),
            Some(Stage::Interview),
            "entreprise",
            Some(a.id.0),
        ),
        step(p1, t(20, 10), Some(Stage::Hire), "entreprise", Some(a.id.0)),
        step(
            p2,
            t(5, 10),
            Some(Stage::Contacted),
            "conseiller",
            Some(a.id.0),
        ),
        step(
            p4,
            t(12, 10),
            Some(Stage::Introduction),
            "conseiller",
            Some(a.id.0),
        ),
        step(p5, t(8, 10), Some(Stage::Contact), "partenaire", None),
        step(p5, t(11, 10), Some(Stage::Test), "conseiller", None),
    ] {
        store.add_journey_event(&e).await.expect("event");
    }
    // OrientaKlik: P5 came (2 → 4), P2 did not.
    let sid = store
        .create_service(&sample_service("Escape game logistique"), 1)
        .await
        .expect("service");
    let session = store
        .create_orientation_session(sid, t(9, 9), t(9, 12), "Gare", 10, 1)
        .await
        .expect("session");
    let (r5, _) = store
        .register(session, p5, "conseiller", t(8, 11))
        .await
        .expect("r5");
    let (r2, _) = store
        .register(session, p2, "conseiller", t(8, 11))
        .await
        .expect("r2");
    store
        .save_survey(r5, false, [2, 2, 2], t(9, 9))
        .await
        .expect("before");
    store
        .save_survey(r5, true, [4, 4, 4], t(9, 12))
        .await
        .expect("after");
    use dklik_domain::orientation::RegistrationStatus;
    store
        .set_registration_status(r5, RegistrationStatus::Present, t(9, 12))
        .await
        .expect("present");
    store
        .set_registration_status(r2, RegistrationStatus::Absent, t(9, 12))
        .await
        .expect("absent");

    // The mobile team counted 12 people at Europe and 3 at the station in March, 2 in April.
    for (n, (sub, at, place, count)) in [
        ("a", t(7, 15), "Europe", 12),
        ("b", t(14, 15), "Gare", 3),
        ("c", after, "Europe", 2),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .add_outreach(
                &dklik_app::orientation_store::OutreachContact {
                    id: 0,
                    submission: format!("{sub:0>32}{n}")[..32].to_string(),
                    at,
                    recorded_by: None,
                    place_kind: "neighbourhood".into(),
                    place_ref: String::new(),
                    place_label: place.into(),
                    channel: "rue".into(),
                    people_count: count,
                    person_id: None,
                    needs: String::new(),
                    next_step: "rien".into(),
                    notes: String::new(),
                },
                None,
                None,
            )
            .await
            .expect("outreach");
    }
    let params = ReportParams::parse("2026-03-01", "2026-03-31", "", day("2026-11-29")).expect("p");
    let report = Report::load(store, params).await.expect("report");
    let row = |t: &dklik_domain::impact::FunnelTable, key: &str| {
        t.rows
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("row {key} in {t:?}"))
            .counts
            .map(|c| c.unwrap_or(99))
    };
    let by_channel = report.funnel(Dimension::Channel);
    assert_eq!(row(&by_channel, "ecran"), [3, 3, 2, 2, 1, 1, 1]);
    assert_eq!(row(&by_channel, "affiche"), [0, 2, 1, 0, 0, 0, 0]);
    assert_eq!(row(&by_channel, "lien"), [0, 1, 0, 0, 0, 0, 0]);
    // P4 first came through the website in January: their introduction counts there.
    assert_eq!(row(&by_channel, "site"), [0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(
        by_channel.total.counts.map(|c| c.unwrap_or(99)),
        [3, 6, 3, 2, 2, 1, 1]
    );
    let by_line = report.funnel(Dimension::Line);
    assert_eq!(row(&by_line, &line), [3, 3, 2, 2, 1, 1, 1]);
    assert_eq!(row(&by_line, ""), [0, 3, 1, 0, 1, 0, 0]);
    let by_employer = report.funnel(Dimension::Employer);
    assert_eq!(row(&by_employer, &a.employer_name), [3, 4, 2, 2, 2, 1, 1]);
    assert_eq!(row(&by_employer, &b.employer_name), [0, 2, 1, 0, 0, 0, 0]);
    let by_qpv = report.funnel(Dimension::Qpv);
    // P1, P3 live in the QPV (hood 0), P2, P4 outside; displays cannot be split by people.
    assert_eq!(row(&by_qpv, "oui"), [99, 99, 2, 1, 1, 1, 1]);
    assert_eq!(row(&by_qpv, "non"), [99, 99, 1, 1, 1, 0, 0]);
    let by_age = report.funnel(Dimension::AgeBand);
    assert_eq!(row(&by_age, "16-25"), [99, 99, 2, 1, 1, 1, 1]);
    assert_eq!(row(&by_age, ""), [99, 99, 0, 0, 1, 0, 0]);
    // A new feed without that trip: the figures by line keep the line of the day.
    let mut other = demo_gtfs();
    other.trips.retain(|x| x.id != trip.id);
    other.stop_times.retain(|x| x.trip_id != trip.id);
    store.save_gtfs(&other, &|_| {}).await.expect("new feed");
    let again = Report::load(
        store,
        ReportParams::parse("2026-03-01", "2026-03-31", "", day("2026-11-29")).expect("p"),
    )
    .await
    .expect("report");
    assert_eq!(
        row(&again.funnel(Dimension::Line), &line),
        [3, 3, 2, 2, 1, 1, 1]
    );
    // Only the people who first came through a bus screen.
    let only = Report::load(
        store,
        ReportParams::parse("2026-03-01", "2026-03-31", "ecran", day("2026-11-29")).expect("p"),
    )
    .await
    .expect("report");
    assert_eq!(
        only.funnel(Dimension::Channel)
            .total
            .counts
            .map(|c| c.unwrap_or(99)),
        [3, 3, 2, 2, 1, 1, 1]
    );
    // Reach: P1, P2 (bus screen), P3 (poster), P5 (partner) met the programme in March.
    let reach = report.reach();
    assert_eq!(reach.iter().map(|r| r.people).sum::<u64>(), 4);
    let count = |ch: &str| {
        reach
            .iter()
            .filter(|r| r.channel == ch)
            .map(|r| r.people)
            .sum::<u64>()
    };
    assert_eq!(
        (count("ecran"), count("affiche"), count("partenaire")),
        (2, 1, 1)
    );
    assert!(reach.iter().all(|r| r.month == "2026-03"));
    assert_eq!(
        reach
            .iter()
            .filter(|r| r.qpv == Some(true))
            .map(|r| r.people)
            .sum::<u64>(),
        3,
        "P1, P3 and P5 live in the QPV"
    );
    // Orientation: 2 registered, 1 present, 1 absent, 2 → 4, and P5 went on to a test.
    let o = report.orientation();
    assert_eq!(o.len(), 1);
    assert_eq!(
        (
            o[0].registered,
            o[0].present,
            o[0].absent,
            o[0].surveyed,
            o[0].went_on
        ),
        (2, 1, 1, 1, 1)
    );
    assert_eq!((o[0].before, o[0].after), (Some(2.0), Some(4.0)));
    assert_eq!(
        report
            .data
            .outreach
            .iter()
            .map(|o| (o.month.as_str(), o.place.as_str(), o.people))
            .collect::<Vec<_>>(),
        [("2026-03", "Europe", 12), ("2026-03", "Gare", 3)]
    );
    // The exports hide 1 to 4 people and say how they were made.
    let at = time::OffsetDateTime::from_unix_timestamp(t(31, 0)).expect("at");
    let csv = report.funnel_csv(Dimension::Channel, at);
    assert!(
        csv.contains("# période: du 2026-03-01 au 2026-03-31"),
        "{csv}"
    );
    assert!(csv.contains("# canal du premier contact: tous"), "{csv}");
    let ecran = csv
        .lines()
        .find(|l| l.starts_with("ecran,"))
        .expect("ecran line");
    assert_eq!(ecran, "ecran,Écran de bus,3,3,<5,<5,<5,<5,<5,100.0,,,,,");
    let met = report.outreach_csv(at);
    assert!(met.contains("2026-03,neighbourhood,Europe,12"), "{met}");
    assert!(met.contains("2026-03,neighbourhood,Gare,<5"), "{met}");
    // The person table: pseudonyms only, stable for one key, different for another.
    let k1 = report.people_csv("clé d'évaluation 2026", at);
    let k1b = report.people_csv("clé d'évaluation 2026", at);
    let k2 = report.people_csv("une toute autre clé", at);
    let body = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(body(&k1), body(&k1b));
    assert_ne!(body(&k1), body(&k2));
    assert_eq!(body(&k1).len(), 1 + 5, "P1, P2, P3, P4 (introduction), P5");
    for secret in ["P1", "0610000001", "Grande-Synthe", &p1.to_string()] {
        assert!(
            !body(&k1)
                .iter()
                .skip(1)
                .any(|l| l.split(',').any(|f| f == secret)),
            "{secret} leaks"
        );
    }
}

/// Everyone followed, with their evidence and endorsements, in one call; erased people left out.
pub async fn matching_people_load_in_bulk(store: &dyn Store) {
    use dklik_domain::{Evidence, Level, OgrCode, SkillEvidence};
    load_demo(store).await;
    let mut ids = Vec::new();
    for (i, name) in ["Ana", "Bilal", "Chloé"].iter().enumerate() {
        let mut p = sample_person(name);
        p.phone = Some(format!("06000000{i:02}"));
        ids.push(store.create_person(&p, 1).await.expect("p"));
    }
    for (k, id) in ids.iter().enumerate() {
        let rows: Vec<SkillEvidence> = (0..=k)
            .map(|j| SkillEvidence {
                id: 0,
                person_id: *id,
                item: OgrCode([300465, 486593, 114828][j]),
                level: Level::new(2).expect("l"),
                evidence: Evidence::Declared,
                source: "t".into(),
                recorded_by: "t".into(),
                at: 1,
            })
            .collect();
        store.add_skill_evidence(&rows).await.expect("ev");
    }
    let e = store
        .create_endorsement(ids[1], OgrCode(300465), "hash-m", "club", 10, 1_000)
        .await
        .expect("endorse");
    assert!(store
        .complete_endorsement(e, "Karim", "coach", "", 20)
        .await
        .expect("ok"));
    // Someone who only asked to be called back has no record: not followed.
    store
        .find_or_create_person(&contact("Sans dossier", "06 99 99 99 99"), 1)
        .await
        .expect("contact");
    store.erase_person(ids[2], 50).await.expect("erase");
    let all = store.matching_people().await.expect("all");
    assert_eq!(
        all.iter()
            .map(|m| (m.first_name.as_str(), m.evidence.len()))
            .collect::<Vec<_>>(),
        [("Ana", 1), ("Bilal", 2)]
    );
    assert_eq!(all[0].profile.person_id, ids[0]);
    assert_eq!(
        all[1].endorsed,
        vec![(OgrCode(300465), "Karim".to_string(), "coach".to_string())]
    );
    assert!(all[0].endorsed.is_empty());
}

fn contact_with(
    first: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> dklik_app::orientation_store::Contact {
    dklik_app::orientation_store::Contact {
        first_name: first.into(),
        phone: phone.map(String::from),
        email: email.map(String::from),
        purpose: "orientation".into(),
        consent_version: "orientation-2026-11".into(),
    }
}

/// Security: what anyone types in a public form never changes a record that exists, and a
/// refused registration writes nothing at all (not even a person).
pub async fn public_forms_never_change_a_record_and_failed_ones_write_nothing(store: &dyn Store) {
    use dklik_domain::orientation::{Event, EventKind};
    load_demo(store).await;
    let lea = store
        .find_or_create_person(
            &contact_with("Léa", Some("06 10 10 10 10"), Some("lea@exemple.fr")),
            5,
        )
        .await
        .expect("lea");
    store
        .verify_contact(lea, true, true, 6)
        .await
        .expect("verified");
    let unchanged = |p: dklik_domain::Person| {
        assert_eq!(p.first_name.as_deref(), Some("Léa"));
        assert_eq!(p.phone.as_deref(), Some("06 10 10 10 10"));
        assert_eq!(p.email.as_deref(), Some("lea@exemple.fr"));
    };
    // The same contact again: the same record, unchanged (even its first name).
    assert_eq!(
        store
            .find_or_create_person(&contact_with("Lé", Some("06 10 10 10 10"), None), 7)
            .await
            .expect("again"),
        lea
    );
    unchanged(store.person(lea).await.expect("q").expect("p"));
    // Her e-mail with another phone, her phone with another e-mail: separate records.
    let a = store
        .find_or_create_person(
            &contact_with("X", Some("07 99 99 99 99"), Some("lea@exemple.fr")),
            8,
        )
        .await
        .expect("a");
    let b = store
        .find_or_create_person(
            &contact_with("Y", Some("06 10 10 10 10"), Some("y@evil.test")),
            9,
        )
        .await
        .expect("b");
    assert!(a != lea && b != lea && a != b);
    unchanged(store.person(lea).await.expect("q").expect("p"));
    // The verified record is the one "Mon espace" opens for her address.
    assert_eq!(
        store
            .person_for_login("lea@exemple.fr")
            .await
            .expect("q")
            .map(|p| p.id),
        Some(lea)
    );
    let pairs = store.duplicates(Some(lea), 0, 10).await.expect("dups");
    assert_eq!(pairs.len(), 2, "{pairs:?}");

    // A session that has started refuses the registration: no person is made.
    let sid = store
        .create_service(&sample_service("Visite d'usine"), 1)
        .await
        .expect("service");
    let started = store
        .create_orientation_session(sid, 100, 3_700, "Usine", 3, 1)
        .await
        .expect("session");
    let nobody = contact_with(
        "Nouveau",
        Some("06 55 55 55 55"),
        Some("nouveau@exemple.fr"),
    );
    assert!(matches!(
        store
            .register_contact(started, &nobody, "orientaklik", 200)
            .await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    assert!(store
        .person_for_login("nouveau@exemple.fr")
        .await
        .expect("q")
        .is_none());
    // A registration that passes makes its person and its registration together.
    let later = store
        .create_orientation_session(sid, 100_000, 103_600, "Usine", 3, 1)
        .await
        .expect("session");
    let (_, _, p) = store
        .register_contact(later, &nobody, "orientaklik", 200)
        .await
        .expect("registered");
    // The same person again is refused (already on it) and writes nothing more.
    let consents = store.consents(p).await.expect("c").len();
    assert!(matches!(
        store
            .register_contact(later, &nobody, "orientaklik", 201)
            .await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    assert_eq!(store.consents(p).await.expect("c").len(), consents);
    // An event: refused when cancelled, with nothing written.
    let e = Event {
        id: 0,
        code: String::new(),
        kind: EventKind::CafeEmploi,
        title: "Café".into(),
        description: String::new(),
        starts_at: 100_000,
        ends_at: 107_200,
        place: "Maison de l'emploi".into(),
        lat: None,
        lon: None,
        cancelled: true,
        employers: vec![],
        offers: vec![],
        registrations: 0,
    };
    let (eid, _) = store.create_event(&e, &[], &[], 1).await.expect("event");
    let other = contact_with("Autre", Some("06 44 44 44 44"), Some("autre@exemple.fr"));
    let refused = store.register_event_contact(eid, &other, 300).await;
    assert!(
        matches!(
            refused,
            Err(dklik_app::StoreError::Conflict(_)) | Err(dklik_app::StoreError::NotFound)
        ),
        "{refused:?}"
    );
    assert!(store
        .person_for_login("autre@exemple.fr")
        .await
        .expect("q")
        .is_none());
    // Knowing only her e-mail, an event registration cannot replace her phone.
    let (open, _) = store
        .create_event(
            &Event {
                cancelled: false,
                ..e
            },
            &[],
            &[],
            1,
        )
        .await
        .expect("event");
    let intruder = store
        .register_event_contact(
            open,
            &contact_with("Léa", Some("07 00 00 00 01"), Some("lea@exemple.fr")),
            400,
        )
        .await
        .expect("registered as a separate record");
    assert_ne!(intruder, lea);
    unchanged(store.person(lea).await.expect("q").expect("p"));
}

/// Two records of one person become one: everything of both is kept, the audit says who
/// merged what, and the merged record keeps nothing.
pub async fn merging_people_keeps_everything_of_both(store: &dyn Store) {
    load_demo(store).await;
    let offer = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("q")
        .expect("offer");
    // A: a call-back request by phone. B: the same phone with an e-mail, later.
    add(
        store,
        &interest_form("Samia", "0612345678", ""),
        Some(offer.id),
        1_000,
        "2026-12-01",
    )
    .await;
    add(
        store,
        &interest_form("Samia", "0612345678", "samia@exemple.fr"),
        None,
        2_000,
        "2026-12-01",
    )
    .await;
    let list = store.interests(10).await.expect("list");
    let (b, a) = (list[0].person_id, list[1].person_id);
    assert_ne!(a, b, "a new e-mail makes a separate record");
    let pairs = store.duplicates(None, 0, 10).await.expect("dups");
    assert!(pairs.iter().any(|p| (p.a, p.b) == (a, b)), "{pairs:?}");
    // Only pairs whose newer record was made since a given time.
    let b_made = store.person(b).await.expect("q").expect("b").created_at;
    assert!(store
        .duplicates(None, b_made + 1, 10)
        .await
        .expect("d")
        .is_empty());
    assert_eq!(
        store.duplicates(None, b_made, 10).await.expect("d").len(),
        pairs.len()
    );
    // Both registered to one session; B also to another one, and introduced to a post.
    let sid = store
        .create_service(&sample_service("Escape game industrie"), 1)
        .await
        .expect("service");
    let s1 = store
        .create_orientation_session(sid, 100_000, 103_600, "Gare", 5, 1)
        .await
        .expect("s1");
    let s2 = store
        .create_orientation_session(sid, 200_000, 203_600, "Gare", 5, 1)
        .await
        .expect("s2");
    store
        .register(s1, a, "conseiller", 3_000)
        .await
        .expect("a s1");
    store
        .register(s1, b, "conseiller", 3_000)
        .await
        .expect("b s1");
    store
        .register(s2, b, "conseiller", 3_000)
        .await
        .expect("b s2");
    store
        .create_introduction(&dklik_app::introduction_store::NewIntroduction {
            person_id: b,
            offer_id: offer.id,
            score: 0.5,
            created_by: None,
            at: 3_000,
            due_at: 90_000,
            actor: "test".into(),
        })
        .await
        .expect("intro");
    store
        .create_session(
            &dklik_app::auth::token_hash("session-b"),
            None,
            Some(b),
            "c",
            3_000,
            99_000,
        )
        .await
        .expect("session");
    let steps_before =
        store.journey(a).await.expect("j").len() + store.journey(b).await.expect("j").len();
    assert!(matches!(
        dklik_app::privacy::merge_people(store, a, a, None, "test", 4_000).await,
        Err(dklik_app::StoreError::Conflict(_))
    ));
    dklik_app::privacy::merge_people(store, a, b, None, "Camille (conseiller)", 4_000)
        .await
        .expect("merge");
    let kept = store.person(a).await.expect("q").expect("a");
    assert_eq!(
        kept.email.as_deref(),
        Some("samia@exemple.fr"),
        "missing contact taken"
    );
    assert_eq!(kept.created_at, 1_000);
    let gone = store.person(b).await.expect("q").expect("b");
    assert!(gone.anonymised_at.is_some() && gone.email.is_none() && gone.phone.is_none());
    assert_eq!(store.person_interests(a).await.expect("i").len(), 2);
    assert!(store.person_interests(b).await.expect("i").is_empty());
    assert_eq!(store.consents(a).await.expect("c").len(), 2);
    assert_eq!(store.journey(a).await.expect("j").len(), steps_before);
    let regs = store.person_registrations(a).await.expect("r");
    assert_eq!(regs.len(), 2, "one per session: s1 once, s2 taken from B");
    assert!(store
        .session(&dklik_app::auth::token_hash("session-b"), 3_500)
        .await
        .expect("q")
        .is_none());
    assert!(store
        .duplicates(Some(a), 0, 10)
        .await
        .expect("d")
        .is_empty());
    let log = store
        .audit_log(Some(&format!("person:{b}")), 10)
        .await
        .expect("log");
    assert!(
        log.iter().any(|e| e.action == "merge"
            && e.actor.contains("Camille")
            && e.detail.contains(&a.to_string())),
        "{log:?}"
    );
    assert!(matches!(
        dklik_app::privacy::merge_people(store, a, b, None, "test", 5_000).await,
        Err(dklik_app::StoreError::NotFound)
    ));
}

/// A person's e-mail changes only with a code sent to the new address; the old one is told
/// and every session of the person ends.
pub async fn contact_changes_need_a_code_and_end_sessions(store: &dyn Store) {
    use dklik_app::auth::{self, ServerKey};
    let key = ServerKey::random().expect("key");
    let p = store
        .find_or_create_person(
            &contact_with("Léa", Some("06 10 10 10 10"), Some("lea@exemple.fr")),
            5,
        )
        .await
        .expect("lea");
    store
        .create_session(&auth::token_hash("s-lea"), None, Some(p), "c", 10, 99_000)
        .await
        .expect("session");
    assert!(
        auth::request_email_change(store, &key, p, "lea@exemple.fr", 20)
            .await
            .is_err(),
        "the same address"
    );
    auth::request_email_change(store, &key, p, "lea.nouvelle@exemple.fr", 20)
        .await
        .expect("code sent");
    let mail = store.outbox(1).await.expect("outbox").remove(0);
    assert_eq!(
        mail.to, "lea.nouvelle@exemple.fr",
        "the code goes to the new address"
    );
    let code: String = mail
        .body
        .split("ce code : ")
        .nth(1)
        .expect("code")
        .chars()
        .take(6)
        .collect();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(auth::confirm_email_change(store, &key, p, wrong, 30)
        .await
        .is_err());
    assert_eq!(
        store
            .person(p)
            .await
            .expect("q")
            .expect("p")
            .email
            .as_deref(),
        Some("lea@exemple.fr"),
        "nothing changes before the right code"
    );
    assert!(store
        .session(&auth::token_hash("s-lea"), 31)
        .await
        .expect("q")
        .is_some());
    assert_eq!(
        auth::confirm_email_change(store, &key, p, &code, 40)
            .await
            .expect("changed"),
        "lea.nouvelle@exemple.fr"
    );
    let after = store.person(p).await.expect("q").expect("p");
    assert_eq!(after.email.as_deref(), Some("lea.nouvelle@exemple.fr"));
    assert!(after.email_verified_at.is_some());
    assert!(store
        .session(&auth::token_hash("s-lea"), 41)
        .await
        .expect("q")
        .is_none());
    let notice = store.outbox(1).await.expect("outbox").remove(0);
    assert_eq!(notice.to, "lea@exemple.fr", "the old address is told");
    // An erased person's sessions end too.
    store
        .create_session(&auth::token_hash("s-lea-2"), None, Some(p), "c", 50, 99_000)
        .await
        .expect("session");
    store.erase_person(p, 60).await.expect("erase");
    assert!(store
        .session(&auth::token_hash("s-lea-2"), 61)
        .await
        .expect("q")
        .is_none());
}

/// Employers, sites and offers entered in the browser: checked forms, duplicates refused, an
/// offer made as a draft, published only with a shift and a need, each change of state kept
/// with who made it.
pub async fn employers_offers_and_states_from_the_browser(store: &dyn Store) {
    use dklik_app::employers::{self, EmployersError, OfferForm, SiteForm};
    use dklik_domain::employer::EmployerForm;
    load_rome(store).await;
    let r = dklik_app::skills::SkillsCache::default()
        .get(store)
        .await
        .expect("reference");
    let form = EmployerForm {
        nom: "Aciéries du Littoral".into(),
        description: "Laminage à froid".into(),
        siret: "732 829 320 00074".into(),
        naf: "2410z".into(),
        contact: "Claire Martin".into(),
        email: "Claire.Martin@acieries.example".into(),
        telephone: "03 28 00 00 00".into(),
        relecture: String::new(),
    };
    let field_of = |e: EmployersError| match e {
        EmployersError::Invalid(v) => v.errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>(),
        EmployersError::Store(s) => panic!("store: {s}"),
    };
    let bad = EmployerForm {
        siret: "732 829 320 00075".into(),
        email: "pas-une-adresse".into(),
        ..form.clone()
    };
    let fields = field_of(
        employers::create_employer(store, &bad, 10)
            .await
            .expect_err("refused"),
    );
    assert!(fields.contains(&"siret".to_string()) && fields.contains(&"email".to_string()));
    let id = employers::create_employer(store, &form, 10)
        .await
        .expect("created");
    assert_eq!(
        field_of(
            employers::create_employer(store, &form, 11)
                .await
                .expect_err("twice")
        ),
        ["nom"]
    );
    let card = store.employer_card(id).await.expect("q").expect("card");
    assert_eq!(card.siret.as_deref(), Some("73282932000074"));
    assert_eq!(card.naf.as_deref(), Some("24.10Z"));
    assert_eq!(
        card.contact_email.as_deref(),
        Some("claire.martin@acieries.example")
    );
    assert!(!card.employer.fictional);
    employers::update_employer(
        store,
        id,
        &EmployerForm {
            contact: "Paul Leroy".into(),
            ..form.clone()
        },
        12,
    )
    .await
    .expect("updated");
    assert_eq!(
        store
            .employer_card(id)
            .await
            .expect("q")
            .expect("card")
            .contact_name,
        "Paul Leroy"
    );
    // A site must be placed: coordinates typed (or chosen from the geocoder, or the plan).
    let mut site = SiteForm {
        nom: "Usine de Mardyck".into(),
        adresse: "Route de l'Écluse".into(),
        commune: "Dunkerque".into(),
        insee: "59183".into(),
        ..Default::default()
    };
    assert_eq!(
        field_of(
            employers::add_site(store, id, &site)
                .await
                .expect_err("unplaced")
        ),
        ["latitude"]
    );
    site.latitude = "51,0213".into();
    site.longitude = "2.2847".into();
    let site_id = employers::add_site(store, id, &site).await.expect("site");
    assert_eq!(
        field_of(
            employers::add_site(store, id, &site)
                .await
                .expect_err("twice")
        ),
        ["nom"]
    );
    // An offer, made as a draft.
    let appellation = r
        .appellations
        .iter()
        .find(|a| a.rome.as_str() == "H2913")
        .expect("a welder's appellation");
    let mut f = OfferForm {
        intitule: "Soudeur TIG de nuit".into(),
        appellation: appellation.code.0.to_string(),
        description: "Soudure de tuyauteries.".into(),
        site: site_id.0.to_string(),
        contrat: "cdi".into(),
        heures_semaine: "35".into(),
        postes: "2".into(),
        sans_diplome: "oui".into(),
        ..Default::default()
    };
    f.shifts = vec![
        (vec!["0".into(), "1".into()], "21:00".into(), "05:00".into()),
        Default::default(),
        Default::default(),
    ];
    let wrong = OfferForm {
        site: "999999".into(),
        appellation: String::new(),
        ..f.clone()
    };
    let fields = field_of(
        employers::create_offer(store, &r, id, &wrong, "Camille (conseiller)", 13)
            .await
            .expect_err("refused"),
    );
    assert!(fields.contains(&"site".to_string()) && fields.contains(&"code_rome".to_string()));
    let o = employers::create_offer(store, &r, id, &f, "Camille (conseiller)", 13)
        .await
        .expect("offer");
    assert_eq!(o.status, OfferStatus::Draft);
    assert_eq!(o.rome.as_str(), "H2913");
    assert!(o.shifts[0].overnight(), "a night shift over midnight");
    assert_eq!(o.positions, 2);
    assert_eq!(store.employer_offers(id).await.expect("offers").len(), 1);
    // Not published without a need.
    let fields = field_of(
        employers::change_status(
            store,
            &o,
            OfferStatus::Published,
            "Camille (conseiller)",
            14,
        )
        .await
        .expect_err("no need yet"),
    );
    assert_eq!(fields, ["etat"]);
    let item = r
        .index
        .item(dklik_domain::OgrCode(
            rome_fixture()
                .items
                .iter()
                .find(|i| i.kind.requirable())
                .expect("item")
                .code
                .0,
        ))
        .expect("indexed")
        .code;
    dklik_app::skills::set_offer_need(store, &r, o.id, &item.0.to_string(), "2", "must")
        .await
        .expect("need");
    let o = store.offer(o.id).await.expect("q").expect("offer");
    // Changing the form keeps the needs.
    f.intitule = "Soudeur TIG (nuit)".into();
    employers::update_offer(store, &r, &o, &f)
        .await
        .expect("changed");
    let o = store.offer(o.id).await.expect("q").expect("offer");
    assert_eq!(o.title, "Soudeur TIG (nuit)");
    assert_eq!(o.items.len(), 1);
    employers::change_status(
        store,
        &o,
        OfferStatus::Published,
        "Camille (conseiller)",
        15,
    )
    .await
    .expect("published");
    let o = store.offer(o.id).await.expect("q").expect("offer");
    assert_eq!(o.status, OfferStatus::Published);
    assert!(o.published_on.is_some());
    employers::change_status(
        store,
        &o,
        OfferStatus::Filled,
        "Paul Leroy (entreprise)",
        16,
    )
    .await
    .expect("filled");
    let o = store.offer(o.id).await.expect("q").expect("offer");
    assert!(
        employers::change_status(store, &o, OfferStatus::Published, "x", 17)
            .await
            .is_err()
    );
    assert!(
        employers::update_offer(store, &r, &o, &f).await.is_err(),
        "a filled offer is not changed"
    );
    // An offer past its last day closes itself, once.
    let today = dklik_app::today_paris();
    let mut g = f.clone();
    g.intitule = "Soudeur TIG (renfort)".into();
    g.date_fin = (today + time::Duration::days(1)).to_string();
    let short = employers::create_offer(store, &r, id, &g, "Camille (conseiller)", 18)
        .await
        .expect("second offer");
    dklik_app::skills::set_offer_need(store, &r, short.id, &item.0.to_string(), "2", "must")
        .await
        .expect("need");
    let short = store.offer(short.id).await.expect("q").expect("offer");
    employers::change_status(
        store,
        &short,
        OfferStatus::Published,
        "Camille (conseiller)",
        19,
    )
    .await
    .expect("published");
    assert_eq!(
        employers::expire_offers(store, today + time::Duration::days(1), 20)
            .await
            .expect("not yet"),
        0
    );
    assert_eq!(
        employers::expire_offers(store, today + time::Duration::days(2), 21)
            .await
            .expect("expired"),
        1
    );
    let short = store.offer(short.id).await.expect("q").expect("offer");
    assert_eq!(short.status, OfferStatus::Expired);
    assert_eq!(
        store.offer_status_changes(short.id).await.expect("changes")[1].actor,
        "tâche quotidienne"
    );
    let changes = store.offer_status_changes(o.id).await.expect("changes");
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.from, c.to, c.actor.as_str(), c.at))
            .collect::<Vec<_>>(),
        [
            (
                OfferStatus::Draft,
                OfferStatus::Published,
                "Camille (conseiller)",
                15
            ),
            (
                OfferStatus::Published,
                OfferStatus::Filled,
                "Paul Leroy (entreprise)",
                16
            ),
        ]
    );
}

/// An employer made in the browser (its offers read by an advisor first when `review`), its
/// site, and a draft offer with a shift and a need: ready to publish.
async fn browser_offer(
    store: &dyn Store,
    name: &str,
    siret: &str,
    review: bool,
) -> (dklik_domain::EmployerId, dklik_domain::Offer) {
    browser_offer_with(store, name, siret, review, "rh@littoral.example", "").await
}

/// [`browser_offer`] with the contact's e-mail and phone given.
async fn browser_offer_with(
    store: &dyn Store,
    name: &str,
    siret: &str,
    review: bool,
    email: &str,
    phone: &str,
) -> (dklik_domain::EmployerId, dklik_domain::Offer) {
    use dklik_app::employers::{self, OfferForm, SiteForm};
    use dklik_domain::employer::EmployerForm;
    load_rome(store).await;
    let r = dklik_app::skills::SkillsCache::default()
        .get(store)
        .await
        .expect("reference");
    let id = employers::create_employer(
        store,
        &EmployerForm {
            nom: name.into(),
            siret: siret.into(),
            contact: "Claire Martin".into(),
            email: email.into(),
            telephone: phone.into(),
            relecture: if review { "oui".into() } else { String::new() },
            ..Default::default()
        },
        10,
    )
    .await
    .expect("employer");
    let site = employers::add_site(
        store,
        id,
        &SiteForm {
            nom: "Usine".into(),
            adresse: "Route de l'Écluse".into(),
            commune: "Dunkerque".into(),
            insee: "59183".into(),
            latitude: "51.0213".into(),
            longitude: "2.2847".into(),
        },
    )
    .await
    .expect("site");
    let appellation = r
        .appellations
        .iter()
        .find(|a| a.rome.as_str() == "H2913")
        .expect("appellation");
    let mut f = OfferForm {
        intitule: "Soudeur TIG".into(),
        appellation: appellation.code.0.to_string(),
        site: site.0.to_string(),
        postes: "1".into(),
        contrat: "cdi".into(),
        ..Default::default()
    };
    f.shifts = vec![(vec!["0".into()], "06:00".into(), "13:00".into())];
    let o = employers::create_offer(store, &r, id, &f, "Claire Martin (entreprise)", 11)
        .await
        .expect("offer");
    let item = rome_fixture()
        .items
        .iter()
        .find(|i| i.kind.requirable())
        .expect("item")
        .code;
    dklik_app::skills::set_offer_need(store, &r, o.id, &item.0.to_string(), "2", "must")
        .await
        .expect("need");
    (id, store.offer(o.id).await.expect("q").expect("offer"))
}

/// The token at the end of the first line of `body` that holds `marker`.
fn token_after(body: &str, marker: &str) -> String {
    let line = body.lines().find(|l| l.contains(marker)).expect("a link");
    let rest = &line[line.find(marker).expect("marker") + marker.len()..];
    rest.chars().take_while(char::is_ascii_hexdigit).collect()
}

/// An advisor invites an employer's contact: the e-mailed link works once, for 7 days, makes
/// an employer account of that employer only, and refuses an address that has an account.
pub async fn employer_invitations_work_once(store: &dyn Store) {
    use dklik_app::auth::AuthError;
    use dklik_app::invitations;
    let (emp, _) = browser_offer(store, "Aciéries du Littoral", "73282932000074", false).await;
    let admin_id = staff(store, "camille@dklik.fr", Role::Advisor).await;
    let camille = store.user(admin_id).await.expect("q").expect("user");
    let now = 1_790_000_000;
    assert!(matches!(
        invitations::invite(
            store,
            &camille,
            emp,
            "Paul",
            "pas-une-adresse",
            "https://x",
            now
        )
        .await,
        Err(AuthError::Invalid(_))
    ));
    assert!(
        matches!(
            invitations::invite(store, &camille, emp, "Camille", "camille@dklik.fr", "https://x", now)
                .await,
            Err(AuthError::Invalid(m)) if m.contains("existe déjà")
        ),
        "an address with an account is not invited"
    );
    invitations::invite(
        store,
        &camille,
        emp,
        "Paul Leroy",
        "Paul.Leroy@littoral.example",
        "https://dklik.example",
        now,
    )
    .await
    .expect("invited");
    let mail = store
        .outbox(10)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.to == "paul.leroy@littoral.example")
        .expect("the invitation is e-mailed");
    let token = token_after(&mail.body, "https://dklik.example/invitation/");
    assert_eq!(token.len(), 64, "{}", mail.body);
    let listed = store.invitations(emp).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].invited_by, "camille (conseiller)");
    assert!(listed[0].used_at.is_none());
    assert!(matches!(
        invitations::accept(
            store,
            &token,
            "une phrase de passe",
            "une autre phrase",
            now + 60
        )
        .await,
        Err(AuthError::Invalid(_))
    ));
    assert!(matches!(
        invitations::accept(store, &token, "court", "court", now + 60).await,
        Err(AuthError::Invalid(_))
    ));
    // Past its 7 days the link no longer works.
    assert!(matches!(
        invitations::accept(
            store,
            &token,
            "une phrase de passe",
            "une phrase de passe",
            now + invitations::INVITATION_SECONDS + 1
        )
        .await,
        Err(AuthError::InvalidLink)
    ));
    let (user, _session) = invitations::accept(
        store,
        &token,
        "une phrase de passe",
        "une phrase de passe",
        now + 120,
    )
    .await
    .expect("accepted");
    let u = store.user(user).await.expect("q").expect("account");
    assert_eq!(u.role, Role::Employer);
    assert_eq!(u.employer_id, Some(emp));
    assert_eq!(u.email, "paul.leroy@littoral.example");
    assert_eq!(u.display_name, "Paul Leroy");
    assert!(matches!(
        invitations::accept(
            store,
            &token,
            "une phrase de passe",
            "une phrase de passe",
            now + 180
        )
        .await,
        Err(AuthError::InvalidLink)
    ));
    assert_eq!(
        store.invitations(emp).await.expect("list")[0].used_at,
        Some(now + 120)
    );
    assert!(invitations::live_invitation(store, "zz", now)
        .await
        .expect("q")
        .is_none());
}

/// Review, pause and the "toujours d'actualité ?" questions: an employer whose offers are
/// read first sends its offer for review; the advisor publishes it; 14 days on the contact is
/// asked, confirms by the link (once), is asked again 14 days later, does not answer and the
/// offer is paused 7 days on with the advisors told; published again, it is later closed as
/// filled from a link. Every change is in the offer's history.
pub async fn offers_review_pause_and_still_open_questions(store: &dyn Store) {
    use dklik_app::employer_store::CheckAnswer;
    use dklik_app::employers;
    use dklik_app::offer_checks::{self, CheckError};
    let (_, o) = browser_offer(store, "Aciéries du Littoral", "73282932000074", true).await;
    staff(store, "camille@dklik.fr", Role::Advisor).await;
    let today = dklik_app::today_paris();
    let t0 = dklik_app::paris_instant(today, 9 * 60);
    let day = 24 * 3600;
    // The employer's "publish" becomes "wait for review"; it cannot approve it itself.
    let to = employers::employer_change_status(
        store,
        &o,
        OfferStatus::Published,
        "Paul (entreprise)",
        t0,
    )
    .await
    .expect("sent for review");
    assert_eq!(to, OfferStatus::Review);
    let o = store.offer(o.id).await.expect("q").expect("offer");
    assert_eq!(o.status, OfferStatus::Review);
    let waiting = store
        .offers_in_status(OfferStatus::Review)
        .await
        .expect("to review");
    assert_eq!(waiting.iter().map(|x| x.id).collect::<Vec<_>>(), [o.id]);
    assert_eq!(waiting[0].items.len(), 1, "with its needs");
    // The advisors' "à traiter" reads the first ones light, with their employer, and the count.
    let (shown, total) = store
        .offers_to_handle(OfferStatus::Review, 20)
        .await
        .expect("to handle");
    assert_eq!(total, 1);
    assert_eq!(
        (shown[0].0.id, shown[0].0.code.as_str(), shown[0].1.as_str()),
        (o.id, o.code.as_str(), o.employer_name.as_str())
    );
    let (none, zero) = store
        .offers_to_handle(OfferStatus::Filled, 20)
        .await
        .expect("none");
    assert!(none.is_empty() && zero == 0);
    assert!(store.published_offers(false).await.expect("q").is_empty());
    assert!(employers::employer_change_status(
        store,
        &o,
        OfferStatus::Published,
        "Paul (entreprise)",
        t0 + 1
    )
    .await
    .is_err());
    employers::change_status(
        store,
        &o,
        OfferStatus::Published,
        "Camille (conseiller)",
        t0 + 2,
    )
    .await
    .expect("approved");
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 13 * day)
        .await
        .expect("run");
    assert_eq!(run, offer_checks::CheckRun::default(), "not yet 14 days");
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 14 * day + 5)
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    let mails = store.outbox(50).await.expect("outbox");
    let ask = mails
        .iter()
        .find(|m| m.to == "rh@littoral.example" && m.subject.contains("toujours d'actualité"))
        .expect("the question is e-mailed");
    let token = token_after(&ask.body, "https://dklik.example/offres/suivi/");
    assert!(ask.body.contains(&format!("{token}?reponse=non")));
    let again = offer_checks::daily(store, "https://dklik.example", t0 + 15 * day)
        .await
        .expect("run");
    assert_eq!(again.sent, 0, "one question at a time");
    let kept = offer_checks::answer(store, &token, CheckAnswer::Confirmed, t0 + 15 * day)
        .await
        .expect("confirmed");
    assert_eq!(kept.status, OfferStatus::Published);
    assert!(
        matches!(
            offer_checks::answer(store, &token, CheckAnswer::Filled, t0 + 15 * day + 1).await,
            Err(CheckError::InvalidLink)
        ),
        "a link works once"
    );
    // 14 days after the question, the next one; unanswered 7 days, the offer is paused.
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 28 * day + 10)
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 34 * day)
        .await
        .expect("run");
    assert_eq!(run.paused, 0);
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 35 * day + 20)
        .await
        .expect("run");
    assert_eq!(run.paused, 1);
    let o = store.offer(o.id).await.expect("q").expect("offer");
    assert_eq!(o.status, OfferStatus::Paused);
    assert_eq!(
        store
            .offers_in_status(OfferStatus::Paused)
            .await
            .expect("paused")
            .len(),
        1
    );
    assert!(store
        .outbox(100)
        .await
        .expect("outbox")
        .iter()
        .any(|m| m.to == "camille@dklik.fr" && m.subject.contains("mise en pause")));
    assert!(store.published_offers(false).await.expect("q").is_empty());
    // Published again, then closed as filled from the next question's link.
    employers::employer_change_status(
        store,
        &o,
        OfferStatus::Published,
        "Paul (entreprise)",
        t0 + 36 * day,
    )
    .await
    .expect("published again (no review for a paused offer)");
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 37 * day)
        .await
        .expect("run");
    assert_eq!(
        run,
        offer_checks::CheckRun::default(),
        "the old question no longer pauses it"
    );
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 50 * day + 30)
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    let last = store
        .outbox(200)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|m| m.subject.contains("toujours d'actualité"))
        .max_by_key(|m| m.id)
        .expect("mail");
    let token = token_after(&last.body, "https://dklik.example/offres/suivi/");
    assert!(
        matches!(
            offer_checks::answer(store, &token, CheckAnswer::Paused, t0 + 51 * day).await,
            Err(CheckError::InvalidLink)
        ),
        "a link only confirms, fills or closes"
    );
    let done = offer_checks::answer(store, &token, CheckAnswer::Filled, t0 + 51 * day)
        .await
        .expect("filled");
    assert_eq!(done.status, OfferStatus::Filled);
    let history: Vec<(OfferStatus, OfferStatus)> = store
        .offer_status_changes(o.id)
        .await
        .expect("history")
        .iter()
        .map(|c| (c.from, c.to))
        .collect();
    assert_eq!(
        history,
        [
            (OfferStatus::Draft, OfferStatus::Review),
            (OfferStatus::Review, OfferStatus::Published),
            (OfferStatus::Published, OfferStatus::Paused),
            (OfferStatus::Paused, OfferStatus::Published),
            (OfferStatus::Published, OfferStatus::Filled),
        ]
    );
    let last = store.offer_status_changes(o.id).await.expect("history");
    assert!(last[2].actor.contains("tâche quotidienne"));
    assert!(last[4].actor.contains("rh@littoral.example"));
}

/// The France Travail synchronisation's memory: offers seen, and those once seen and not
/// since a moment (only the published or paused ones, to close).
pub async fn france_travail_seen_and_gone(store: &dyn Store) {
    load_demo(store).await;
    let ids = |v: Vec<dklik_domain::Offer>| {
        let mut v: Vec<String> = v.into_iter().filter_map(|o| o.external_id).collect();
        v.sort();
        v
    };
    store
        .mark_france_travail_seen(&["DEMO-001".into(), "DEMO-002".into()], 100)
        .await
        .expect("seen");
    store
        .mark_france_travail_seen(&["DEMO-002".into(), "DEMO-003".into()], 200)
        .await
        .expect("seen again");
    assert_eq!(
        ids(store.france_travail_gone(150).await.expect("gone")),
        ["DEMO-001"]
    );
    assert!(store
        .france_travail_gone(100)
        .await
        .expect("gone")
        .is_empty());
    let one = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    store
        .change_offer_status(
            one.id,
            OfferStatus::Closed,
            dklik_app::today_paris(),
            "x",
            300,
        )
        .await
        .expect("closed");
    assert!(
        store
            .france_travail_gone(150)
            .await
            .expect("gone")
            .is_empty(),
        "a closed offer is not closed twice"
    );
    assert_eq!(
        ids(store.france_travail_gone(250).await.expect("gone")),
        ["DEMO-002", "DEMO-003"]
    );
}

/// The feed's version moves with each import, even two in the same second.
pub async fn gtfs_version_moves_on_each_import(store: &dyn Store) {
    assert_eq!(store.gtfs_version().await.expect("version"), 0);
    let feed = dklik_transit::gtfs::read(&crate::fixtures_dir().join("gtfs/dunkerque-demo"))
        .expect("feed");
    store.save_gtfs(&feed, &|_| {}).await.expect("first");
    let one = store.gtfs_version().await.expect("version");
    assert!(one > 0);
    store.save_gtfs(&feed, &|_| {}).await.expect("second");
    assert!(store.gtfs_version().await.expect("version") > one);
}

/// Screens' heartbeats (health, stretches of presence, plays on impressions), service
/// messages, and proof of play per offer and line with the call-backs made from the slides.
pub async fn screen_health_takeovers_and_proof_of_play(store: &dyn Store) {
    use dklik_app::store::{Heartbeat, ScreenRecord, Takeover, TakeoverScope};
    use dklik_app::Impression;
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    let t0 = 1_790_000_000i64;
    let imp = |code: &str, vehicle: &str, at: i64| Impression {
        code: code.into(),
        vehicle: vehicle.into(),
        trip_id: None,
        stop_id: Some("S1".into()),
        stop_name: "Mardyck Usine".into(),
        offer_id: Some(o.id),
        slide: "offer".into(),
        shown_at: at,
        duration_s: 10,
        scans: 0,
        screen: None,
        source: "dklik".into(),
    };
    store
        .record_impressions(&[imp("PLAY2222", "bus-5", t0), imp("PLAY3333", "bus-6", t0)])
        .await
        .expect("impressions");
    store
        .add_screen(
            &ScreenRecord {
                id: "bus-5-avant".into(),
                vehicle: "bus-5".into(),
                label: "Avant".into(),
                line: None,
                region: String::new(),
            },
            t0,
        )
        .await
        .expect("screen");
    let beat = |at: i64, plays: Vec<(&str, i64)>, day: &str| Heartbeat {
        screen: "bus-5-avant".into(),
        vehicle: "bus-5".into(),
        at,
        slide: "PLAY2222".into(),
        day: day.into(),
        plays: plays.into_iter().map(|(c, n)| (c.to_string(), n)).collect(),
        slide_seconds: 10,
    };
    // Unknown screen: nothing kept.
    let mut stranger = beat(t0, vec![("PLAY2222", 3)], "2026-09-21");
    stranger.screen = "nobody".into();
    assert!(!store.screen_heartbeat(&stranger).await.expect("beat"));
    assert!(store.screen_health().await.expect("h").is_empty());
    // Beats 30 s apart make one stretch and count their plays; a beat 5 s after counts none;
    // another vehicle's impression is not counted.
    assert!(store
        .screen_heartbeat(&beat(
            t0 + 30,
            vec![("PLAY2222", 2), ("PLAY3333", 2)],
            "2026-09-21"
        ))
        .await
        .expect("beat"));
    store
        .screen_heartbeat(&beat(t0 + 60, vec![("PLAY2222", 3)], "2026-09-21"))
        .await
        .expect("beat");
    store
        .screen_heartbeat(&beat(t0 + 65, vec![("PLAY2222", 3)], "2026-09-21"))
        .await
        .expect("beat");
    let h = store.screen_health().await.expect("h");
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].last_seen, h[0].shown_today), (t0 + 65, 7));
    let stretches = store.screen_presence(t0 - 100).await.expect("presence");
    assert_eq!(stretches, vec![("bus-5-avant".to_string(), t0, t0 + 65)]);
    // A silence of more than 90 s starts another stretch; a new day counts afresh.
    store
        .screen_heartbeat(&beat(t0 + 400, vec![("PLAY2222", 1)], "2026-09-22"))
        .await
        .expect("beat");
    assert_eq!(
        store
            .screen_presence(t0 - 100)
            .await
            .expect("presence")
            .len(),
        2
    );
    assert_eq!(store.screen_health().await.expect("h")[0].shown_today, 1);
    assert_eq!(
        store.prune_screen_presence(t0 + 100).await.expect("prune"),
        1
    );
    // Plays on the impression: 2 + 3 + 1 (the 5-s beat counted none), 10 s each.
    let played = store
        .proof_of_play(t0 - 10, t0 + 10, Some(o.employer_id))
        .await
        .expect("proof");
    let row = played
        .iter()
        .find(|r| r.offer_code == o.code.to_string())
        .expect("row");
    assert_eq!((row.impressions, row.plays, row.played_s), (2, 6, 60));
    assert_eq!(row.line, "");

    // A call-back made from one of those slides counts on its row.
    let mut i = NewInterest::from_form(
        &InterestForm {
            first_name: "Rania".into(),
            phone: "06 10 20 30 40".into(),
            best_time: "matin".into(),
            consent: true,
            ..Default::default()
        },
        Some(o.id),
        Channel::BusScreen,
        "",
    )
    .expect("interest");
    i.impression = Some("PLAY3333".into());
    store
        .add_interest(&i, t0 + 100, day("2026-09-23"))
        .await
        .expect("interest");
    let played = store
        .proof_of_play(t0 - 10, t0 + 10, None)
        .await
        .expect("proof");
    let row = played
        .iter()
        .find(|r| r.offer_code == o.code.to_string())
        .expect("row");
    assert_eq!((row.callbacks, row.employer_name.is_empty()), (1, false));
    assert!(store
        .proof_of_play(t0 + 10, t0 + 20, None)
        .await
        .expect("proof")
        .is_empty());
    let other = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("q")
        .expect("offer");
    if other.employer_id != o.employer_id {
        assert!(store
            .proof_of_play(t0 - 10, t0 + 10, Some(other.employer_id))
            .await
            .expect("proof")
            .is_empty());
    }
    // Removing the screen removes its health.
    store.delete_screen("bus-5-avant").await.expect("del");
    assert!(store.screen_health().await.expect("h").is_empty());
    assert!(store.screen_presence(0).await.expect("p").is_empty());

    // Service messages: listed while running or to come, ended once.
    let t = Takeover {
        id: 0,
        text: "Ligne C1 déviée rue de la Gare".into(),
        scope: TakeoverScope::Line,
        target: "C1".into(),
        from: t0,
        until: t0 + 3600,
        created_by: "admin".into(),
        created_at: t0,
        ended_at: None,
    };
    let id = store.add_takeover(&t).await.expect("takeover");
    let later = store
        .add_takeover(&Takeover {
            scope: TakeoverScope::All,
            target: String::new(),
            from: t0 + 7200,
            until: t0 + 9000,
            ..t.clone()
        })
        .await
        .expect("takeover");
    let list = store.takeovers(t0 + 10).await.expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], Takeover { id, ..t.clone() });
    assert_eq!(list[1].id, later);
    assert_eq!(store.takeovers(t0 + 3600).await.expect("list").len(), 1);
    assert!(store.end_takeover(id, t0 + 20).await.expect("end"));
    assert!(!store.end_takeover(id, t0 + 30).await.expect("end twice"));
    assert!(!store.end_takeover(later + 100, t0).await.expect("unknown"));
    let list = store.takeovers(t0 + 10).await.expect("list");
    assert_eq!(list[0].ended_at, Some(t0 + 20));
    assert!(!list[0].active(t0 + 25) && list[1].active(t0 + 8000));
}

/// Text messages: queued with their encoding and parts, due in order, retried, taken by a
/// provider with its reference and cost, moved by a receipt once (a replay counts once, a late
/// "undelivered" does not undo "delivered"), given up; counts per state.
pub async fn sms_queue_states_and_receipts(store: &dyn Store) {
    use dklik_app::sms_store::{NewSms, ReceiptOutcome, SmsState};
    use dklik_domain::sms::{Encoding, Purpose};
    let new = |to: &str, not_before: i64| NewSms {
        to: to.into(),
        body: "Bonjour".into(),
        purpose: Purpose::Transactional,
        person: None,
        not_before,
    };
    let a = store
        .queue_sms(&new("33611111111", 100), Encoding::Gsm7, 1, 100)
        .await
        .expect("a");
    let b = store
        .queue_sms(&new("33622222222", 500), Encoding::Ucs2, 3, 100)
        .await
        .expect("b");
    let due: Vec<i64> = store
        .due_sms(200, 10)
        .await
        .expect("due")
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(due, vec![a], "b waits until 500");
    let m = store.sms_message(b).await.expect("b").expect("there");
    assert_eq!(
        (m.encoding.as_str(), m.parts, m.state, m.next_attempt_at),
        ("ucs2", 3, SmsState::Queued, 500)
    );
    store
        .sms_retry(a, "Brevo répond 503", 260)
        .await
        .expect("retry");
    assert!(store.due_sms(200, 10).await.expect("due").is_empty());
    let m = store.sms_message(a).await.expect("a").expect("there");
    assert_eq!(
        (m.attempts, m.last_error.as_deref()),
        (1, Some("Brevo répond 503"))
    );
    store
        .sms_sent(a, "brevo", "42", Some(45_000), 270)
        .await
        .expect("sent");
    let m = store.sms_message(a).await.expect("a").expect("there");
    assert_eq!(
        (
            m.state,
            m.provider.as_deref(),
            m.provider_ref.as_deref(),
            m.cost_micro_eur,
            m.attempts,
            m.sent_at
        ),
        (
            SmsState::Sent,
            Some("brevo"),
            Some("42"),
            Some(45_000),
            2,
            Some(270)
        )
    );
    // A sent message is not due again, nor sent twice.
    assert!(store
        .due_sms(1_000, 10)
        .await
        .expect("due")
        .iter()
        .all(|m| m.id != a));
    let receipt = |r: &'static str, key: &'static str, ok: bool| async move {
        store
            .sms_receipt("brevo", r, key, ok, 300)
            .await
            .expect("receipt")
    };
    assert_eq!(
        receipt("42", "42:delivered", true).await,
        ReceiptOutcome::Applied
    );
    assert_eq!(
        receipt("42", "42:delivered", true).await,
        ReceiptOutcome::Replayed
    );
    assert_eq!(
        receipt("42", "42:failed", false).await,
        ReceiptOutcome::Applied
    );
    assert_eq!(
        store.sms_message(a).await.expect("a").expect("t").state,
        SmsState::Delivered,
        "stays delivered"
    );
    assert_eq!(
        receipt("999", "999:delivered", true).await,
        ReceiptOutcome::Unknown
    );
    assert_eq!(
        store
            .sms_receipt("twilio", "42", "42:delivered", true, 300)
            .await
            .expect("r"),
        ReceiptOutcome::Unknown,
        "another provider's reference"
    );
    store
        .sms_failed(b, "refusé partout", 600)
        .await
        .expect("failed");
    let m = store.sms_message(b).await.expect("b").expect("there");
    assert_eq!((m.state, m.done_at), (SmsState::Failed, Some(600)));
    let counts = store.sms_counts().await.expect("counts");
    assert_eq!(
        counts,
        vec![(SmsState::Delivered, 1), (SmsState::Failed, 1)]
    );
    // By period (both were queued at 100): a delivered one billed 45,000 µ€, a failed one never
    // taken (no part billed); a third, queued later, in the second period.
    store
        .queue_sms(&new("33633333333", 2_000), Encoding::Gsm7, 2, 2_000)
        .await
        .expect("c");
    let periods = store.sms_periods(&[0, 1_000, 3_000]).await.expect("p");
    assert_eq!(periods.len(), 2);
    assert_eq!(
        (
            periods[0].delivered,
            periods[0].failed,
            periods[0].queued,
            periods[0].parts,
            periods[0].cost_micro_eur
        ),
        (1, 1, 0, 1, 45_000)
    );
    assert_eq!(periods[0].delivery_rate(), Some(0.5));
    assert_eq!((periods[1].queued, periods[1].parts), (1, 0));
    assert_eq!(periods[1].delivery_rate(), None);
    assert!(store.sms_periods(&[5]).await.expect("none").is_empty());
}

/// Texts received on the programme's number (`dklik_app::sms_inbound`): an offer code however
/// typed becomes a call-back request by SMS naming the bus seen in the last hour, the reply asks
/// for a OUI that records the consent, several codes make several requests, other words and
/// unknown codes reach the inbox as messages, a text posted twice counts once, STOP stops.
pub async fn texts_received_become_requests_and_messages(store: &dyn Store) {
    use dklik_app::sms_inbound::{take_text, Received, Taken};
    use dklik_app::Impression;
    use dklik_domain::interest::{CONSENT_AWAITED, SMS_CONSENT_VERSION};
    load_demo(store).await;
    let a = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer a");
    let b = store
        .offer_by_external_id("DEMO-002")
        .await
        .expect("q")
        .expect("offer b");
    let now: i64 = 1_796_029_200;
    // Offer a was on bus 12's screen 20 minutes ago; b was shown 2 hours ago only.
    let shown = |code: &str, offer: dklik_domain::OfferId, vehicle: &str, at: i64| Impression {
        code: code.into(),
        vehicle: vehicle.into(),
        trip_id: None,
        stop_id: Some("S1".into()),
        stop_name: "Mardyck Usine".into(),
        offer_id: Some(offer),
        slide: "offer".into(),
        shown_at: at,
        duration_s: 10,
        scans: 0,
        screen: None,
        source: "dklik".into(),
    };
    store
        .record_impressions(&[
            shown("SMSIMP01", a.id, "bus-12", now - 1200),
            shown("SMSIMP02", b.id, "bus-7", now - 7200),
        ])
        .await
        .expect("impressions");
    let text = |reference: &'static str, from: &'static str, text: &'static str| Received {
        provider: "twilio",
        reference: Some(reference),
        from,
        text,
    };
    // The code in lower case with a space and an emoji.
    let typed = format!(
        "{} {} 🚌",
        &a.code.as_str()[..3].to_lowercase(),
        &a.code.as_str()[3..].to_lowercase()
    );
    let typed: &'static str = Box::leak(typed.into_boxed_str());
    let got = take_text(store, text("SM1", "+33612345678", typed), now)
        .await
        .expect("code");
    let Taken::Requested { ids, codes, fresh } = got else {
        panic!("a request: {got:?}")
    };
    assert!(fresh);
    assert_eq!(codes, vec![a.code.as_str().to_string()]);
    let r = store.interest(ids[0]).await.expect("q").expect("request");
    assert_eq!(r.interest.channel, dklik_domain::Channel::Sms);
    assert_eq!(r.interest.offer_id, Some(a.id));
    assert_eq!(r.interest.phone.as_deref(), Some("06 12 34 56 78"));
    assert_eq!(r.interest.consent_version, CONSENT_AWAITED);
    assert!(
        r.interest.channel_detail.contains("bus bus-12")
            && r.interest.channel_detail.contains("Mardyck Usine"),
        "{}",
        r.interest.channel_detail
    );
    assert!(
        store
            .consents(r.interest.person_id)
            .await
            .expect("c")
            .is_empty(),
        "no consent before OUI"
    );
    // The reply: queued to the sender, naming the offer and asking for OUI.
    let due = store.due_sms(now, 50).await.expect("due");
    let reply = due.iter().find(|m| m.to == "33612345678").expect("a reply");
    assert!(
        reply.body.contains(a.code.as_str()) && reply.body.contains("OUI"),
        "{}",
        reply.body
    );
    // Posted again by the provider: the same request, no second reply.
    let again = take_text(store, text("SM1", "+33612345678", typed), now + 5)
        .await
        .expect("again");
    assert!(
        matches!(again, Taken::Requested { fresh: false, ref ids, .. } if ids == &vec![r.interest.id])
    );
    assert_eq!(
        store.due_sms(now + 5, 50).await.expect("due").len(),
        due.len()
    );
    // OUI: the consent is recorded with the others.
    let yes = take_text(store, text("SM2", "+33612345678", "Oui 👍"), now + 60)
        .await
        .expect("oui");
    assert_eq!(yes, Taken::Agreed(1));
    let r = store.interest(r.interest.id).await.expect("q").expect("r");
    assert_eq!(r.interest.consent_version, SMS_CONSENT_VERSION);
    let consents = store.consents(r.interest.person_id).await.expect("c");
    assert_eq!(consents.len(), 1);
    // Two codes in one text: two requests; b was shown too long ago to name a bus.
    let two = format!("{} et {}", a.code.as_str(), b.code.as_str());
    let two: &'static str = Box::leak(two.into_boxed_str());
    let got = take_text(store, text("SM3", "+33698765432", two), now + 100)
        .await
        .expect("two");
    let Taken::Requested { ids, .. } = got else {
        panic!("requests: {got:?}")
    };
    assert_eq!(ids.len(), 2);
    let rb = store.interest(ids[1]).await.expect("q").expect("b");
    assert_eq!(rb.interest.offer_id, Some(b.id));
    assert!(!rb.interest.channel_detail.contains("bus-7"));
    // Words, and a code of no open offer: messages for the advisors.
    let got = take_text(
        store,
        text(
            "SM4",
            "+33698765432",
            "Bonjour, je cherche du travail\u{7} le matin",
        ),
        now + 200,
    )
    .await
    .expect("words");
    let Taken::Message {
        id,
        unknown_code: None,
        fresh: true,
    } = got
    else {
        panic!("a message: {got:?}")
    };
    let m = store.interest(id).await.expect("q").expect("m");
    assert_eq!(m.interest.offer_id, None);
    assert_eq!(
        m.interest.message.as_deref(),
        Some("Bonjour, je cherche du travail  le matin"),
        "control characters taken out"
    );
    let got = take_text(store, text("SM5", "+33698765432", "ZZ9ZZ9"), now + 300)
        .await
        .expect("unknown");
    assert!(
        matches!(got, Taken::Message { unknown_code: Some(ref c), .. } if c == "ZZ9ZZ9"),
        "{got:?}"
    );
    // A sender that is not a French mobile, an empty text: not read.
    assert!(matches!(
        take_text(store, text("SM6", "+447700900123", "HELLO"), now)
            .await
            .expect("uk"),
        Taken::Ignored(_)
    ));
    assert!(matches!(
        take_text(store, text("SM7", "+33611111111", "  "), now)
            .await
            .expect("empty"),
        Taken::Ignored(_)
    ));
    // More than the day's limit from one number: read no further.
    for n in 0..dklik_app::sms_inbound::DAILY_LIMIT {
        let reference: &'static str = Box::leak(format!("SMF{n}").into_boxed_str());
        take_text(store, text(reference, "+33622222222", "allo"), now + 400)
            .await
            .expect("flood");
    }
    assert_eq!(
        take_text(store, text("SMF-last", "+33622222222", "allo"), now + 401)
            .await
            .expect("limit"),
        Taken::Ignored("trop de SMS aujourd'hui depuis ce numéro")
    );
    // The person chose texts and information texts; STOP withdraws that consent too.
    let who = rb.interest.person_id;
    store
        .set_message_choice(who, Some("sms"), true, now + 450)
        .await
        .expect("choice");
    assert!(store.wants_sms_news(who).await.expect("q"));
    assert_eq!(
        store
            .person(who)
            .await
            .expect("q")
            .expect("p")
            .contact_by
            .as_deref(),
        Some("sms")
    );
    // STOP: the number is stopped and nothing more is queued to it.
    assert_eq!(
        take_text(store, text("SM8", "+33698765432", "STOP"), now + 500)
            .await
            .expect("stop"),
        Taken::Stopped
    );
    assert!(store.sms_stopped("33698765432").await.expect("q"));
    assert!(
        !store.wants_sms_news(who).await.expect("q"),
        "withdrawn by STOP"
    );
    let consent = store
        .consents(who)
        .await
        .expect("c")
        .into_iter()
        .find(|c| c.purpose == dklik_domain::privacy::PURPOSE_SMS_NEWS)
        .expect("kept, withdrawn");
    assert_eq!(consent.withdrawn_at, Some(now + 500));
    let before = store.due_sms(now + 600, 500).await.expect("due").len();
    take_text(store, text("SM9", "+33698765432", "Encore moi"), now + 600)
        .await
        .expect("after stop");
    assert_eq!(
        store.due_sms(now + 600, 500).await.expect("due").len(),
        before,
        "no reply after STOP"
    );
}

/// "Toujours d'actualité ?" by text message when the employer's contact left only a mobile:
/// the same one-time links, queued as a text to that number.
pub async fn still_open_questions_go_by_text_when_only_a_mobile_is_known(store: &dyn Store) {
    use dklik_app::employer_store::CheckAnswer;
    use dklik_app::employers;
    use dklik_app::offer_checks;
    let (_, o) = browser_offer_with(
        store,
        "Garage du Port",
        "73282932000074",
        false,
        "",
        "06 55 44 33 22",
    )
    .await;
    let t0 = dklik_app::paris_instant(dklik_app::today_paris(), 9 * 60);
    let day = 24 * 3600;
    employers::change_status(
        store,
        &o,
        OfferStatus::Published,
        "Camille (conseiller)",
        t0,
    )
    .await
    .expect("published");
    let run = offer_checks::daily(store, "https://dklik.example", t0 + 14 * day + 5)
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    assert!(store
        .outbox(50)
        .await
        .expect("outbox")
        .iter()
        .all(|m| !m.subject.contains("toujours d'actualité")));
    let texts = store.due_sms(t0 + 15 * day, 50).await.expect("due");
    let text = texts
        .iter()
        .find(|m| m.to == "33655443322")
        .expect("a text to the contact");
    assert!(text.body.contains(o.code.as_str()), "{}", text.body);
    let marker = "https://dklik.example/offres/suivi/";
    let token: String = text.body[text.body.find(marker).expect("link") + marker.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert!(
        dklik_domain::sms::segments(&text.body).parts <= 3,
        "{}",
        text.body
    );
    let kept = offer_checks::answer(store, &token, CheckAnswer::Confirmed, t0 + 15 * day)
        .await
        .expect("confirmed by text");
    assert_eq!(kept.status, OfferStatus::Published);
}

/// "Nouvelles offres près de chez vous": only to people who agreed, near their neighbourhood,
/// once a week, as information texts (the STOP mention, the allowed hours).
pub async fn news_texts_go_weekly_to_those_who_agreed(store: &dyn Store) {
    use dklik_app::sms_news;
    load_demo(store).await;
    store
        .save_neighbourhoods(&[
            dklik_domain::Neighbourhood {
                id: 0,
                name: "Centre".into(),
                commune: "Dunkerque".into(),
                insee: "59183".into(),
                qpv: false,
                lat: 51.0343,
                lon: 2.3768,
                fictional: true,
            },
            dklik_domain::Neighbourhood {
                id: 0,
                name: "Loin".into(),
                commune: "Lille".into(),
                insee: "59350".into(),
                qpv: false,
                lat: 50.6292,
                lon: 3.0573,
                fictional: true,
            },
        ])
        .await
        .expect("hoods");
    let hoods = store.neighbourhoods().await.expect("hoods");
    let hood = |name: &str| hoods.iter().find(|h| h.name == name).expect("hood").id;
    let person = |first: &str, phone: &str, near: &str| {
        let mut p = sample_person(first);
        p.phone = Some(phone.into());
        p.neighbourhood_id = Some(hood(near));
        p
    };
    // Monday 30 November 2026, 10:00 in Paris: texts may go at once.
    let now: i64 = 1_796_029_200;
    let ines = store
        .create_person(&person("Inès", "06 11 11 11 11", "Centre"), now - 100)
        .await
        .expect("Inès");
    let far = store
        .create_person(&person("Lou", "06 22 22 22 22", "Loin"), now - 100)
        .await
        .expect("Lou");
    let silent = store
        .create_person(&person("Max", "06 33 33 33 33", "Centre"), now - 100)
        .await
        .expect("Max");
    for p in [ines, far] {
        store
            .set_message_choice(p, None, true, now - 50)
            .await
            .expect("agreed");
    }
    // The demo offers were published today: new this week. Inès lives near them; Lou far away;
    // Max did not agree.
    let n = sms_news::weekly(store, "https://dklik.example", now)
        .await
        .expect("news");
    assert_eq!(n, 1);
    let due = store.due_sms(now, 50).await.expect("due");
    let news: Vec<_> = due.iter().filter(|m| m.purpose == "information").collect();
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].to, "33611111111");
    assert_eq!(news[0].person, Some(ines));
    assert!(
        news[0].body.starts_with("DKLIK : Bonjour Inès, ")
            && news[0].body.contains("près de chez vous")
            && news[0].body.ends_with(dklik_domain::sms::STOP_MENTION),
        "{}",
        news[0].body
    );
    // Not twice in a week; a week later, again.
    assert_eq!(
        sms_news::weekly(store, "https://dklik.example", now + 3600)
            .await
            .expect("again"),
        0
    );
    // A week later Inès may be sent news again; Max never agreed.
    let readers: Vec<_> = store
        .sms_news_readers(now + 8 * 24 * 3600 - sms_news::EVERY_DAYS * 24 * 3600)
        .await
        .expect("readers")
        .into_iter()
        .map(|r| r.person)
        .collect();
    assert_eq!(readers, vec![ines, far]);
    assert!(!readers.contains(&silent));
}
