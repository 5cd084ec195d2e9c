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

/// The same for a ROME release: rows an import whose process died wrote ahead are not seen,
/// and are swept by the next import once it has been silent 30 s; an import still alive makes
/// another wait (refused, in French).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_rome_import_is_swept_and_a_live_one_is_waited_for() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let mut rome = dklik_store_tests::rome_fixture();
    store.save_rome(&rome, &|_| {}).await.expect("ROME");
    let before = store.rome_counts().await.expect("counts");
    let mut raw = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    // A sheet and one of its items, as an import killed a minute ago left them.
    let dead: i64 = sqlx::query_scalar(
        "INSERT INTO rome_imports (started_at, alive_at) VALUES ($1, $1) RETURNING id",
    )
    .bind(now() - 60)
    .fetch_one(&mut raw)
    .await
    .expect("an import");
    sqlx::query("INSERT INTO rome_jobs (code, label, import_id) VALUES ('N9999', 'Laissé', $1)")
        .bind(dead)
        .execute(&mut raw)
        .await
        .expect("its sheet");
    sqlx::query(
        "INSERT INTO rome_job_items (rome, item, core, import_id) \
         SELECT 'N9999', code, true, $1 FROM rome_items LIMIT 1",
    )
    .bind(dead)
    .execute(&mut raw)
    .await
    .expect("its item");
    assert_eq!(
        store.rome_counts().await.expect("counts"),
        before,
        "an unfinished import's rows are not seen"
    );
    // Another import, alive a second ago: a release must wait for it.
    sqlx::query("INSERT INTO rome_imports (started_at, alive_at) VALUES ($1, $1)")
        .bind(now() - 1)
        .execute(&mut raw)
        .await
        .expect("a live import");
    rome.jobs.push(dklik_domain::rome::RomeJob {
        code: dklik_domain::RomeCode::parse("N9999").expect("code"),
        label: "Conduite d'essai".into(),
        parent: None,
    });
    let err = store
        .save_rome(&rome, &|_| {})
        .await
        .expect_err("an import is still alive");
    assert!(err.to_string().contains("réessayez"), "{err}");
    // That one dies too: the next release sweeps both, and its own sheet N9999 is written.
    sqlx::query("UPDATE rome_imports SET alive_at = alive_at - 60")
        .execute(&mut raw)
        .await
        .expect("silent");
    assert_eq!(store.save_rome(&rome, &|_| {}).await.expect("release"), 1);
    let after = store.rome_counts().await.expect("counts");
    assert_eq!(
        (after.jobs, after.job_items),
        (before.jobs + 1, before.job_items)
    );
    let job = store
        .rome_jobs(&[dklik_domain::RomeCode::parse("N9999").expect("code")])
        .await
        .expect("sheet");
    assert_eq!(job[0].label, "Conduite d'essai");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM rome_imports WHERE finished_at IS NULL AND abandoned_at IS NULL",
    )
    .fetch_one(&mut raw)
    .await
    .expect("imports");
    assert_eq!(left, 0, "no import is left unfinished");
}
