//! DKLIK's store: every store contract of `dklik_app` implemented once, in plain Rust, for
//! SQLite (the embedded default) and PostgreSQL (for several servers and scale).
//!
//! - [`db`]: one query API over both drivers (pool, transactions, rows, bound values);
//! - [`migrate`]: one copy of the schema's migrations, run by sqlx's migrator on both;
//! - [`connect`]: what differs between the two (connection options, notifications);
//! - [`codes`]: the enums the store keeps as words, bound and read by type;
//! - one module per contract: [`store`] (ROME, offers, requests, privacy…), [`accounts`],
//!   [`people`], [`skills`], [`orientation`], [`introductions`], [`impact`], [`screens`];
//!   `offers` holds the offers' SELECT, row mapping and import writes, `common` the helpers all
//!   share, `prelude` what every module imports.
//!
//! The contract suite (`dklik-store-tests`) runs every case on both databases.

pub mod accounts;
pub mod codes;
mod common;
pub mod connect;
pub mod db;
pub mod employers;
pub mod impact;
pub mod introductions;
pub mod migrate;
mod offer_saving;
mod offers;
pub mod orientation;
pub mod people;
mod prelude;
mod rome_saving;
pub mod screens;
pub mod skills;
pub mod sms;
pub mod store;

/// The store: a [`db::Db`] and the contracts implemented over it.
#[derive(Clone)]
pub struct SqlStore {
    db: db::Db,
}

impl SqlStore {
    /// Opens the database named by `url`: `postgres://…` (or `postgresql://…`) for PostgreSQL,
    /// anything else (`sqlite://data/dklik.db`) for SQLite.
    pub async fn connect(url: &str) -> Result<Self, dklik_app::store::StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            connect::postgres(url).await
        } else {
            connect::sqlite(url, |o| o).await
        }
        .map(|db| SqlStore { db })
    }

    /// A store over an open database.
    pub fn new(db: db::Db) -> Self {
        SqlStore { db }
    }

    /// The database, for tests that look at it directly.
    pub fn db(&self) -> &db::Db {
        &self.db
    }
}
