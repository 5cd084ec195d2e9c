//! Someone changes an offer (here: pauses it) after a large import has prepared its own change
//! to that offer and before the import's switch: the person's change stays, the import's change
//! to that one offer is dropped and counted as kept, its other offers are written. Both
//! databases; the test looks at the database itself to act at the right moment.

use dklik_app::offers::import_offers;
use dklik_domain::OfferStatus;
use dklik_imports::offers::read;
use dklik_store_tests::{fixtures_dir, fresh_postgres, fresh_sqlite, rome_fixture, TestDb};
use sqlx::Connection;
use std::time::{Duration, Instant};

/// How many hidden rows replace the offer `id` (the import's prepared change).
async fn prepared_changes(url: &str, id: i64) -> i64 {
    let sql = "SELECT COUNT(*) FROM offers WHERE replaces = $1";
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("raw");
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut c)
            .await
            .expect("count")
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("raw");
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut c)
            .await
            .expect("count")
    }
}

async fn a_change_made_during_an_import_is_kept(db: TestDb) {
    let store = db.store.as_ref();
    store
        .save_rome(&rome_fixture(), &|_| {})
        .await
        .expect("ROME");
    let demo = std::fs::read_to_string(fixtures_dir().join("offers/demo-offres.csv"))
        .expect("demo offers");
    import_offers(
        store,
        read("demo.csv", demo.as_bytes()).expect("reads"),
        true,
    )
    .await
    .expect("demo import");
    let (head, body) = demo.split_once('\n').expect("a header");
    let target = store
        .offer_by_external_id("DEMO-002")
        .await
        .expect("query")
        .expect("DEMO-002");
    assert_eq!(target.status, OfferStatus::Published);
    let line = body
        .lines()
        .find(|l| l.starts_with("DEMO-002;"))
        .expect("its line");
    let retitled = line.replacen(&target.title, "Titre changé par l'import", 1);
    assert_ne!(retitled, line, "the title is in the line");
    // The changed offer first, then many new ones: the import runs on after preparing it.
    let copies: String = (0..20)
        .map(|k| body.replace("DEMO-", &format!("GEN{k}-")))
        .collect();
    let file = format!("{head}\n{retitled}\n{copies}");
    let done = std::cell::Cell::new(false);
    let (out, paused_while_importing) = tokio::join!(
        async {
            let out = import_offers(
                store,
                read("long.csv", file.as_bytes()).expect("reads"),
                true,
            )
            .await;
            done.set(true);
            out
        },
        async {
            let waited = Instant::now();
            while prepared_changes(&db.url, target.id.0).await == 0 {
                assert!(!done.get(), "the import ended before its change was seen");
                assert!(
                    waited.elapsed() < Duration::from_secs(60),
                    "no change prepared"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let now = time::OffsetDateTime::now_utc();
            store
                .change_offer_status(
                    target.id,
                    OfferStatus::Paused,
                    now.date(),
                    "test",
                    now.unix_timestamp(),
                )
                .await
                .expect("paused");
            !done.get()
        }
    );
    assert!(paused_while_importing, "the change came before the switch");
    let out = out.expect("the import");
    assert_eq!((out.created, out.kept), (20 * 64, 1), "{out:?}");
    let after = store.offer(target.id).await.expect("query").expect("there");
    assert_eq!(after.status, OfferStatus::Paused, "the pause stays");
    assert_eq!(after.title, target.title, "the import's change was dropped");
    assert_eq!(prepared_changes(&db.url, target.id.0).await, 0);
    assert!(store
        .offer_by_external_id("GEN19-064")
        .await
        .expect("query")
        .is_some());
    // Imported again with nobody changing it: the import's title is written, the offer
    // published again (a paused offer may be).
    let again = import_offers(
        store,
        read("long.csv", file.as_bytes()).expect("reads"),
        true,
    )
    .await
    .expect("again");
    assert_eq!((again.created, again.kept), (0, 0));
    let last = store.offer(target.id).await.expect("query").expect("there");
    assert_eq!(
        (last.title.as_str(), last.status),
        ("Titre changé par l'import", OfferStatus::Published)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_change_made_during_an_import_is_kept() {
    a_change_made_during_an_import_is_kept(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_change_made_during_an_import_is_kept() {
    a_change_made_during_an_import_is_kept(fresh_postgres().await).await;
}
