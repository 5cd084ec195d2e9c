//! DKLIK's Store on PostgreSQL, chosen by a `postgres://` URL: for several servers and scale.

use sqlx::postgres::PgPoolOptions;
use sqlx::Postgres;
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
/// Two servers starting together must not both migrate: the first holds this lock until its
/// transaction ends, the second then finds the migrations applied.
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(746175)";
/// Row locks and constraints do the serialising on PostgreSQL: a plain transaction.
const BEGIN_WRITE: &str = "BEGIN";

pub struct PgStore {
    pool: sqlx::Pool<Postgres>,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A connection left counting an open transaction (one that failed to end) is
            // closed instead of going back to the pool: it would refuse every later write.
            .after_release(|conn, _| {
                Box::pin(async move {
                    use sqlx::{Database, TransactionManager};
                    type Tm = <Postgres as Database>::TransactionManager;
                    if Tm::get_transaction_depth(conn) == 0 {
                        return Ok(true);
                    }
                    let _ = sqlx::query("SELECT 1").execute(&mut *conn).await;
                    Ok(Tm::get_transaction_depth(conn) == 0)
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_err)?;
        Ok(Self { pool })
    }
}

/// The channel servers use to tell each other that a vehicle's screens changed.
const SCREENS_CHANNEL: &str = "dklik_screens";

async fn notify_screens_impl(pool: &sqlx::Pool<Postgres>, payload: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(SCREENS_CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
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

async fn listen_screens_impl(
    pool: &sqlx::Pool<Postgres>,
) -> Result<Option<Box<dyn dklik_app::Notifications>>, StoreError> {
    let mut l = sqlx::postgres::PgListener::connect_with(pool)
        .await
        .map_err(db_err)?;
    l.listen(SCREENS_CHANNEL).await.map_err(db_err)?;
    Ok(Some(Box::new(PgNotifications(l))))
}

dklik_store_sql::impl_sql_store!(PgStore, Postgres, sqlx::postgres::PgRow, "postgres");
dklik_store_sql::impl_skills_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_orientation_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_introduction_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_impact_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_screen_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_account_store!(PgStore, Postgres, sqlx::postgres::PgRow);
dklik_store_sql::impl_people_store!(PgStore, Postgres, sqlx::postgres::PgRow);
