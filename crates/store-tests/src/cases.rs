//! The contract cases. Each takes a fresh, migrated store.

use crate::{fixtures_dir, rome_fixture};
use dklik_app::offers::{import_offers, ImportError, OfferQuery};
use dklik_app::Store;
use dklik_domain::interest::InterestForm;
use dklik_domain::{
    Channel, ContractType, ItemKind, NewInterest, OfferFilter, OfferStatus, ShiftPeriod,
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

pub async fn interests_are_recorded(store: &dyn Store) {
    load_demo(store).await;
    let o = store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("query")
        .expect("offer");
    let form = InterestForm {
        first_name: "Samia".into(),
        phone: "06 12 34 56 78".into(),
        email: String::new(),
        best_time: "matin".into(),
        consent: true,
    };
    let i =
        NewInterest::from_form(&form, Some(o.id), Channel::BusScreen, "ligne 2").expect("valid");
    let id = store.add_interest(&i, 1_790_000_000).await.expect("insert");
    let list = store.interests(10).await.expect("list");
    assert_eq!(list.len(), 1);
    let got = &list[0];
    assert_eq!(got.id, id);
    assert_eq!(got.offer_id, Some(o.id));
    assert_eq!(got.phone.as_deref(), Some("06 12 34 56 78"));
    assert_eq!(got.channel, Channel::BusScreen);
    assert_eq!(got.channel_detail, "ligne 2");
    assert_eq!(got.status, "new");
    assert_eq!(
        got.consent_version,
        dklik_domain::interest::INTEREST_CONSENT_VERSION
    );
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
