//! DKLIK's Store on SQLite: the embedded default. One file (WAL journal), no server to run.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Sqlite;
use std::str::FromStr;
use std::time::Duration;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_accounts.sql")),
    (3, include_str!("../migrations/0003_gtfs.sql")),
    (4, include_str!("../migrations/0004_screens.sql")),
    (5, include_str!("../migrations/0005_diffusion.sql")),
    (6, include_str!("../migrations/0006_skills.sql")),
    (7, include_str!("../migrations/0007_orientation.sql")),
    (8, include_str!("../migrations/0008_introductions.sql")),
    (9, include_str!("../migrations/0009_impact.sql")),
    (10, include_str!("../migrations/0010_impression_lines.sql")),
    (11, include_str!("../migrations/0011_security.sql")),
];
/// SQLite serialises writers itself; the migration transaction needs no extra lock.
const MIGRATION_LOCK: &str = "SELECT 1";
/// Write transactions take the write lock at once: a transaction that reads first and writes
/// later could not wait for another writer (SQLite answers "busy" at once to avoid a deadlock).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub struct SqliteStore {
    pool: sqlx::Pool<Sqlite>,
}

impl SqliteStore {
    /// Opens (and creates when missing) the database at a `sqlite:` URL, e.g.
    /// `sqlite://data/dklik.db`. The folder is created too.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_tuned(url, |o| o).await
    }

    /// The same, with the connection options tuned by `tune` (tests set a size limit this way).
    pub async fn connect_tuned(
        url: &str,
        tune: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
    ) -> Result<Self, StoreError> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        if !path.is_empty() && path != ":memory:" {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Backend(format!("dossier {} : {e}", dir.display()))
                    })?;
                }
            }
        }
        let opts = tune(
            SqliteConnectOptions::from_str(url)
                .map_err(db_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10)),
        );
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A transaction that could not end (a full disk makes SQLite roll back by itself,
            // then the driver's own ROLLBACK fails) leaves its connection counting an open
            // transaction, and every later write on it fails: such a connection is closed
            // instead of going back to the pool.
            .after_release(|conn, _| {
                Box::pin(async move {
                    use sqlx::{Database, TransactionManager};
                    type Tm = <Sqlite as Database>::TransactionManager;
                    if Tm::get_transaction_depth(conn) == 0 {
                        return Ok(true);
                    }
                    // A rollback may still be queued: once a query has gone through, the
                    // count is settled.
                    let _ = sqlx::query("SELECT 1").execute(&mut *conn).await;
                    Ok(Tm::get_transaction_depth(conn) == 0)
                })
            })
            .connect_with(opts)
            .await
            .map_err(db_err)?;
        Ok(Self { pool })
    }
}

/// One SQLite file serves one server: nobody else to tell.
async fn notify_screens_impl(_: &sqlx::Pool<Sqlite>, _: &str) -> Result<(), StoreError> {
    Ok(())
}

async fn listen_screens_impl(
    _: &sqlx::Pool<Sqlite>,
) -> Result<Option<Box<dyn dklik_app::Notifications>>, StoreError> {
    Ok(None)
}

dklik_store_sql::impl_sql_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "sqlite");
dklik_store_sql::impl_skills_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_orientation_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_introduction_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_impact_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_screen_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_account_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
dklik_store_sql::impl_people_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
