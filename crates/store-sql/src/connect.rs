//! What differs between the two databases: how to connect, and how servers sharing a database
//! tell each other that a vehicle's screens changed.

use crate::db::{query, Db};
use dklik_app::store::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

fn db_err(e: sqlx::Error) -> StoreError {
    crate::common::db_err(e)
}

/// How long a request waits for a connection: during an outage (PostgreSQL stopped, every
/// connection busy) it gets "briefly unavailable" within 2 s rather than after 10.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

/// A pooled connection left counting an open transaction (one that failed to end: a full disk
/// makes SQLite roll back by itself, then the driver's own ROLLBACK fails) would refuse every
/// later write: it is closed instead of going back to the pool.
async fn still_usable<DB>(conn: &mut DB::Connection) -> Result<bool, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'a> DB::Arguments<'a>: sqlx::IntoArguments<'a, DB>,
{
    use sqlx::TransactionManager;
    if DB::TransactionManager::get_transaction_depth(conn) == 0 {
        return Ok(true);
    }
    // A rollback may still be queued: once a query has gone through, the count is settled.
    let _ = sqlx::query::<DB>("SELECT 1").execute(&mut *conn).await;
    Ok(DB::TransactionManager::get_transaction_depth(conn) == 0)
}

/// Opens (and creates when missing) the SQLite database at a `sqlite:` URL, e.g.
/// `sqlite://data/dklik.db`, its folder too; `tune` adjusts the options (tests set a size
/// limit this way). WAL journal: readers never wait for the writer.
pub async fn sqlite(
    url: &str,
    tune: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
) -> Result<Db, StoreError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    if !path.is_empty() && path != ":memory:" {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Backend(format!("dossier {} : {e}", dir.display())))?;
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
            // A writer waits at most this long for another (an import holds the lock for
            // seconds): then the request answers "briefly unavailable" instead of hanging.
            .busy_timeout(Duration::from_secs(2))
            // Rows cross from the connection's thread in larger batches: reading all the
            // published offers (100,000) wakes the reader far less often.
            .row_buffer_size(1024),
    );
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_release(|conn, _| Box::pin(still_usable::<sqlx::Sqlite>(conn)))
        .connect_with(opts)
        .await
        .map_err(db_err)?;
    Ok(Db::Sqlite(pool))
}

/// Connects to PostgreSQL at a `postgres://` URL.
pub async fn postgres(url: &str) -> Result<Db, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .after_release(|conn, _| Box::pin(still_usable::<sqlx::Postgres>(conn)))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await
        .map_err(db_err)?;
    Ok(Db::Postgres(pool, Default::default()))
}

/// The channel servers use to tell each other that a vehicle's screens changed.
const SCREENS_CHANNEL: &str = "dklik_screens";

/// Tells the other servers sharing the database (PostgreSQL only: one SQLite file serves one
/// server, nobody else to tell).
pub async fn notify_screens(db: &Db, payload: &str) -> Result<(), StoreError> {
    match db {
        Db::Sqlite(_) => Ok(()),
        Db::Postgres(..) => {
            query("SELECT pg_notify($1, $2)")
                .bind(SCREENS_CHANNEL)
                .bind(payload)
                .execute(db)
                .await
                .map_err(db_err)?;
            Ok(())
        }
    }
}

struct PgNotifications(sqlx::postgres::PgListener);

#[async_trait::async_trait]
impl dklik_app::Notifications for PgNotifications {
    async fn next(&mut self) -> Result<String, StoreError> {
        // PgListener reconnects by itself after a lost connection.
        let n = self.0.recv().await.map_err(db_err)?;
        Ok(n.payload().to_string())
    }
}

/// The other servers' notices (none on SQLite).
pub async fn listen_screens(
    db: &Db,
) -> Result<Option<Box<dyn dklik_app::Notifications>>, StoreError> {
    match db {
        Db::Sqlite(_) => Ok(None),
        Db::Postgres(pool, _) => {
            let mut l = sqlx::postgres::PgListener::connect_with(pool)
                .await
                .map_err(db_err)?;
            l.listen(SCREENS_CHANNEL).await.map_err(db_err)?;
            Ok(Some(Box::new(PgNotifications(l))))
        }
    }
}
