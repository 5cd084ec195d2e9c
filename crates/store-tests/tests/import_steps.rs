//! An offer import written in steps whose process died (kill -9) left rows no one sees: the
//! next import takes them away once that import has been silent 30 s, and an import still
//! alive keeps its offers (another import naming them is refused, in French).

use dklik_app::employer_store::EmployerStore as _;
use dklik_app::offers::import_offers;
use dklik_app::Store as _;
use dklik_imports::offers::read;
use sqlx::Connection;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Marks an offer as written by an unfinished import last heard of `silent` seconds ago.
async fn left_by_an_import(raw: &mut sqlx::SqliteConnection, external_id: &str, silent: i64) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO offer_imports (started_at, alive_at) VALUES ($1, $1) RETURNING id",
    )
    .bind(now() - silent)
    .fetch_one(&mut *raw)
    .await
    .expect("an import");
    sqlx::query("UPDATE offers SET import_id = $1 WHERE external_id = $2")
        .bind(id)
        .bind(external_id)
        .execute(&mut *raw)
        .await
        .expect("its offer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_import_is_swept_and_a_live_one_is_waited_for() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    store
        .save_rome(&dklik_store_tests::rome_fixture(), &|_| {})
        .await
        .expect("ROME");
    let csv = std::fs::read(dklik_store_tests::fixtures_dir().join("offers/demo-offres.csv"))
        .expect("demo offers");
    let import =
        || async { import_offers(&store, read("demo.csv", &csv).expect("reads"), true).await };
    assert_eq!(import().await.expect("first import").created, 64);
    let mut raw = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    // DEMO-002 as a dead import left it (silent a minute); DEMO-003 as a live one has it.
    left_by_an_import(&mut raw, "DEMO-002", 60).await;
    left_by_an_import(&mut raw, "DEMO-003", 1).await;
    for hidden in ["DEMO-002", "DEMO-003"] {
        assert!(
            store
                .offer_by_external_id(hidden)
                .await
                .expect("query")
                .is_none(),
            "{hidden}: an unfinished import's offer is not seen"
        );
    }
    let err = import()
        .await
        .expect_err("DEMO-003 is in an import still alive");
    assert!(
        err.to_string().contains("DEMO-003") && err.to_string().contains("réessayez"),
        "{err}"
    );
    // That import dies too: the next import sweeps both and writes the file whole.
    sqlx::query("UPDATE offer_imports SET alive_at = alive_at - 60")
        .execute(&mut raw)
        .await
        .expect("silent");
    let out = import().await.expect("the file again");
    assert_eq!((out.created, out.updated), (2, 62));
    assert_eq!(store.listed_offers(0, 1_000).await.expect("list").len(), 64);
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM offer_imports WHERE finished_at IS NULL AND abandoned_at IS NULL",
    )
    .fetch_one(&mut raw)
    .await
    .expect("imports");
    assert_eq!(left, 0, "no import is left unfinished");
}
