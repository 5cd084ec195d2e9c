//! The store contract: the same cases run on every backend (see `tests/contract.rs`).
//!
//! Each case gets a fresh, empty, migrated database: a temporary SQLite file, or a new
//! PostgreSQL database created on the server named by `DKLIK_TEST_PG_URL` (the test command
//! starts a throwaway server and sets it). Without that variable the PostgreSQL cases fail:
//! they never pass by skipping.

pub mod cases;

use dklik_app::Store;
use dklik_domain::rome::RomeReference;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The small ROME release kept in the repository (20 industrial job sheets, same format as
/// the official export).
pub fn rome_fixture() -> RomeReference {
    dklik_imports::rome::read_dir(&fixtures_dir().join("rome"))
        .unwrap_or_else(|e| panic!("ROME fixture unreadable: {e}"))
}

/// A fresh database and whatever must live as long as it.
pub struct TestDb {
    pub store: Box<dyn Store>,
    /// The database's URL (to look at its schema).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    TestDb {
        store: Box::new(store),
        url,
        _dir: Some(dir),
    }
}

/// The admin URL of the throwaway PostgreSQL server.
pub fn pg_admin_url() -> String {
    std::env::var("DKLIK_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "DKLIK_TEST_PG_URL is not set: run the test command of the README (scripts/test.sh), \
             which starts a throwaway PostgreSQL server"
        )
    })
}

static PG_SEQ: AtomicU32 = AtomicU32::new(0);

pub async fn fresh_postgres() -> TestDb {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let name = format!(
        "dklik_t_{}_{}_{}",
        std::process::id(),
        PG_SEQ.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the PostgreSQL test server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("DKLIK_TEST_PG_URL must end with /DATABASE"),
    };
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL");
    TestDb {
        store: Box::new(store),
        url,
        _dir: None,
    }
}
