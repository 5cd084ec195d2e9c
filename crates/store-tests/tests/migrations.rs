//! Databases made before sqlx's migrator ran kept their history in `dklik_migrations`: the
//! first migration of a newer DKLIK adopts it (nothing is applied twice), on both databases.

use dklik_store_sql::db::{query, query_scalar};
use dklik_store_sql::migrate::latest_version;
use dklik_store_sql::SqlStore;
use dklik_store_tests::{fresh_postgres, fresh_sqlite, TestDb};

/// Turns a migrated database back into the old shape: history in `dklik_migrations` only.
async fn with_old_history(t: &TestDb, versions: &[i64]) -> SqlStore {
    let s = SqlStore::connect(&t.url).await.expect("connect");
    let db = s.db();
    query("DROP TABLE _sqlx_migrations")
        .execute(db)
        .await
        .expect("drop");
    query("CREATE TABLE dklik_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(db)
        .await
        .expect("old table");
    for v in versions {
        query("INSERT INTO dklik_migrations (version, applied_at) VALUES ($1, 0)")
            .bind(*v)
            .execute(db)
            .await
            .expect("old row");
    }
    s
}

async fn old_history_is_adopted(t: TestDb) {
    let all: Vec<i64> = (1..=latest_version()).collect();
    let s = with_old_history(&t, &all).await;
    use dklik_app::Store as _;
    s.migrate().await.expect("migrate over the old history");
    let n: i64 = query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(s.db())
        .await
        .expect("count");
    assert_eq!(n, latest_version());
    let old = query("SELECT 1 FROM dklik_migrations")
        .execute(s.db())
        .await;
    assert!(old.is_err(), "the old history table is dropped");
    s.migrate().await.expect("and again");
    assert_eq!(s.rome_counts().await.expect("counts").jobs, 0);
}

async fn an_unknown_old_version_is_refused(t: TestDb) {
    let s = with_old_history(&t, &[1, 2, 999]).await;
    use dklik_app::Store as _;
    let e = s.migrate().await.expect_err("a newer database");
    assert!(e.to_string().contains("999"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_old_history_is_adopted() {
    old_history_is_adopted(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_old_history_is_adopted() {
    old_history_is_adopted(fresh_postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_unknown_old_version_is_refused() {
    an_unknown_old_version_is_refused(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unknown_old_version_is_refused() {
    an_unknown_old_version_is_refused(fresh_postgres().await).await;
}
