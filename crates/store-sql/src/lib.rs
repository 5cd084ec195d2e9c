//! The one implementation of `dklik_app::Store` over SQL, shared by both backends.
//!
//! SQLite and PostgreSQL accept the same SQL for everything DKLIK does (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT … DO UPDATE … WHERE`, `IS DISTINCT FROM`), but sqlx gives each its
//! own types. Rather than copy the queries into both crates, [`impl_sql_store!`] writes the
//! implementation for a concrete sqlx database type; each backend crate invokes it once, after
//! defining its connection setup and its own migrations. What differs between the two lives in
//! the backend crates: connection options, migration files, and the migration lock.
//!
//! The invoking crate must depend on `sqlx`, `async-trait`, `serde_json`, `time`,
//! `dklik-domain` and `dklik-app`, and define:
//! - `pub struct $store { pool: sqlx::Pool<$db> }`
//! - `const MIGRATIONS: &[(i64, &str)]` — version and SQL text, applied in order
//! - `const MIGRATION_LOCK: &str` — a statement run first in the migration transaction
//! - `const BEGIN_WRITE: &str` — the statement that opens a write transaction
//! - `async fn notify_screens_impl(pool, payload)` and `async fn listen_screens_impl(pool)` —
//!   how servers sharing the database tell each other of screen changes

mod accounts;
mod impact;
mod introductions;
mod macros;
mod orientation;
mod people;
mod screens;
mod skills;
