//! One query API over sqlx's SQLite and PostgreSQL drivers.
//!
//! Both databases accept the same SQL for everything DKLIK does (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT … DO UPDATE … WHERE`, `IS DISTINCT FROM`), but sqlx gives each its
//! own types. This module hides that behind a few small types, so that the store is written once
//! as plain functions:
//!
//! - [`Db`]: the pool (cheap to clone); [`Db::begin_write`] opens a write transaction ([`Tx`]);
//! - [`query`], [`query_scalar`], [`query_as`] and [`QueryBuilder`]: a statement and its values
//!   ([`Arg`]), run on the pool or in a transaction;
//! - [`Row`]: a result row; [`Row::try_get`] decodes a column into any type both drivers decode.
//!
//! Values are bound by type: `i64`, `f64`, `bool`, text, bytes, their `Option`s, and every
//! stored code ([`crate::codes::StoredCode`]).

use dklik_app::store::StoreError;
use sqlx::postgres::{PgConnection, PgPool, PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{ColumnIndex, Decode, Type};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The database: a pool of connections to SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    /// The embedded default: one file.
    Sqlite(SqlitePool),
    /// A server, for several DKLIK servers and scale; the outage it is known to be in.
    Postgres(PgPool, Arc<Outage>),
}

impl Db {
    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(..) => "postgres",
        }
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a transaction that read first and wrote later could not wait for another
    /// writer. On PostgreSQL, row locks and constraints do the serialising.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let _waiting = Waiting::count();
        self.begin_write_now().await
    }

    /// Opens a write transaction for one step of long work (an import written in steps):
    /// the writers of this process waiting for the lock go first, for up to `max_wait`.
    pub async fn begin_write_after_others(
        &self,
        max_wait: std::time::Duration,
    ) -> Result<Tx, sqlx::Error> {
        let until = std::time::Instant::now() + max_wait;
        while WRITERS_WAITING.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        self.begin_write_now().await
    }

    async fn begin_write_now(&self) -> Result<Tx, sqlx::Error> {
        Ok(Tx(match self {
            Db::Sqlite(p) => Conn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p, o) => {
                // During an outage, a connection first (within the short wait), given back
                // to the pool for the transaction to take.
                drop(o.fast_connection(p).await?);
                Conn::Postgres(o.watch(p, p.begin().await)?)
            }
        }))
    }
}

/// What a PostgreSQL pool knows of an outage. Once a statement has failed because the server
/// is gone (stopped, restarting, unreachable), each statement waits at most [`OUTAGE_WAIT`]
/// for a connection rather than the pool's whole timeout: during an outage a page that reads
/// twice answers "briefly unavailable" at once, not after twice the timeout. The first
/// connection obtained ends the outage.
#[derive(Debug, Default)]
pub struct Outage {
    down: AtomicBool,
}

/// How long a statement waits for a connection while the server is known to be gone: a
/// connection to a server that is back takes a few milliseconds.
pub const OUTAGE_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

impl Outage {
    /// Whether the server is known to be gone.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// During an outage: a connection within [`OUTAGE_WAIT`] (which ends the outage), or
    /// `PoolTimedOut`. Otherwise `None`: the statement runs on the pool as usual.
    async fn fast_connection(
        &self,
        pool: &PgPool,
    ) -> Result<Option<sqlx::pool::PoolConnection<Postgres>>, sqlx::Error> {
        if !self.is_down() {
            return Ok(None);
        }
        match tokio::time::timeout(OUTAGE_WAIT, pool.acquire()).await {
            Ok(Ok(c)) => {
                self.down.store(false, Ordering::SeqCst);
                Ok(Some(c))
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// Notes what a statement run on the pool says of the server, and passes its result on.
    fn watch<T>(&self, pool: &PgPool, r: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(e) = &r {
            // A pool that timed out with every connection open is busy, not cut off.
            let busy = matches!(e, sqlx::Error::PoolTimedOut)
                && pool.size() >= pool.options().get_max_connections();
            if crate::common::unavailable(e) && !busy {
                self.down.store(true, Ordering::SeqCst);
            }
        }
        r
    }
}

/// How many writers of this process wait for a write transaction (long work in steps lets
/// them go first).
static WRITERS_WAITING: AtomicUsize = AtomicUsize::new(0);

/// One writer counted in [`WRITERS_WAITING`] while it exists (also when its future is dropped).
struct Waiting;

impl Waiting {
    fn count() -> Waiting {
        WRITERS_WAITING.fetch_add(1, Ordering::SeqCst);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WRITERS_WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connection of an open transaction (what `&mut *tx` gives).
pub enum Conn {
    /// On SQLite.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// An open transaction: nothing it wrote is seen by others before [`Tx::commit`]; dropped
/// without a commit, it rolls back.
pub struct Tx(Conn);

impl Tx {
    /// Makes the transaction's writes durable and visible.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.0 {
            Conn::Sqlite(t) => t.commit().await,
            Conn::Postgres(t) => t.commit().await,
        }
    }

    /// Undoes the transaction's writes.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.0 {
            Conn::Sqlite(t) => t.rollback().await,
            Conn::Postgres(t) => t.rollback().await,
        }
    }
}

impl Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

/// Where a statement runs: on the pool (any free connection) or on one connection.
pub enum Target<'e> {
    /// A SQLite pool.
    SqlitePool(&'e SqlitePool),
    /// A PostgreSQL pool, and the outage it may be in.
    PgPool(&'e PgPool, &'e Outage),
    /// One SQLite connection (in a transaction).
    SqliteConn(&'e mut SqliteConnection),
    /// One PostgreSQL connection (in a transaction).
    PgConn(&'e mut PgConnection),
}

impl<'e> From<&'e Db> for Target<'e> {
    fn from(db: &'e Db) -> Self {
        match db {
            Db::Sqlite(p) => Target::SqlitePool(p),
            Db::Postgres(p, o) => Target::PgPool(p, o),
        }
    }
}

impl<'e> From<&'e mut Conn> for Target<'e> {
    fn from(c: &'e mut Conn) -> Self {
        match c {
            Conn::Sqlite(t) => Target::SqliteConn(t),
            Conn::Postgres(t) => Target::PgConn(t),
        }
    }
}

impl<'e> From<&'e mut Tx> for Target<'e> {
    fn from(t: &'e mut Tx) -> Self {
        Target::from(&mut t.0)
    }
}

/// One bound value, typed so that a NULL keeps its type (PostgreSQL needs it).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// A whole number (`BIGINT` / `INTEGER`).
    I64(Option<i64>),
    /// A real number (`DOUBLE PRECISION` / `REAL`).
    F64(Option<f64>),
    /// A truth value (`BOOLEAN`).
    Bool(Option<bool>),
    /// Text (`TEXT`).
    Text(Option<String>),
    /// Bytes (`BYTEA` / `BLOB`).
    Bytes(Option<Vec<u8>>),
}

macro_rules! arg_from {
    ($variant:ident: $($t:ty => $f:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                #[allow(clippy::redundant_closure_call)]
                Arg::$variant(Some(($f)(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                #[allow(clippy::redundant_closure_call)]
                Arg::$variant(v.map($f))
            }
        }
    )*};
}

arg_from!(I64: i64 => |v| v, i32 => i64::from, u32 => i64::from, u16 => i64::from, u8 => i64::from);
arg_from!(F64: f64 => |v| v, f32 => f64::from);
arg_from!(Bool: bool => |v| v);
arg_from!(Text: String => |v| v, &str => str::to_string, &String => String::clone);
arg_from!(Bytes: Vec<u8> => |v| v, &[u8] => <[u8]>::to_vec, &Vec<u8> => Vec::clone);

arg_from!(I64:
    dklik_domain::privacy::PersonId => |v: dklik_domain::privacy::PersonId| v.0,
    dklik_domain::offer::OfferId => |v: dklik_domain::offer::OfferId| v.0,
    dklik_domain::employer::EmployerId => |v: dklik_domain::employer::EmployerId| v.0,
    dklik_domain::orientation::SessionId => |v: dklik_domain::orientation::SessionId| v.0,
);

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

impl From<&i64> for Arg {
    fn from(v: &i64) -> Arg {
        Arg::I64(Some(*v))
    }
}

/// A statement and its bound values.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Arg>,
}

/// A statement to run: `query("… WHERE id = $1").bind(id).fetch_one(&db)`.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql: Cow::Borrowed(sql),
        args: Vec::new(),
    }
}

/// What a statement that returns no rows did.
#[derive(Clone, Copy, Debug)]
pub struct Done(u64);

impl Done {
    /// Rows inserted, changed or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

fn sqlite_query(sql: &str, args: Vec<Arg>) -> SqliteQuery<'_> {
    args.into_iter()
        .fold(sqlx::query::<Sqlite>(sql), |q, a| match a {
            Arg::I64(v) => q.bind(v),
            Arg::F64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        })
}

fn pg_query(sql: &str, args: Vec<Arg>) -> PgQuery<'_> {
    args.into_iter()
        .fold(sqlx::query::<Postgres>(sql), |q, a| match a {
            Arg::I64(v) => q.bind(v),
            Arg::F64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        })
}

impl<'q> Query<'q> {
    /// Binds the next `$n` parameter.
    pub fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.args.push(v.into());
        self
    }

    /// The statement's text (for tests and error messages).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Runs a statement that returns no rows.
    pub async fn execute<'e>(self, on: impl Into<Target<'e>>) -> Result<Done, sqlx::Error> {
        let n = match on.into() {
            Target::SqlitePool(p) => sqlite_query(&self.sql, self.args)
                .execute(p)
                .await?
                .rows_affected(),
            Target::SqliteConn(c) => sqlite_query(&self.sql, self.args)
                .execute(c)
                .await?
                .rows_affected(),
            Target::PgPool(p, o) => match o.fast_connection(p).await? {
                Some(mut c) => pg_query(&self.sql, self.args).execute(&mut *c).await?,
                None => o.watch(p, pg_query(&self.sql, self.args).execute(p).await)?,
            }
            .rows_affected(),
            Target::PgConn(c) => pg_query(&self.sql, self.args)
                .execute(c)
                .await?
                .rows_affected(),
        };
        Ok(Done(n))
    }

    /// All the rows.
    pub async fn fetch_all<'e>(self, on: impl Into<Target<'e>>) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match on.into() {
            Target::SqlitePool(p) => wrap(
                sqlite_query(&self.sql, self.args).fetch_all(p).await?,
                Row::Sqlite,
            ),
            Target::SqliteConn(c) => wrap(
                sqlite_query(&self.sql, self.args).fetch_all(c).await?,
                Row::Sqlite,
            ),
            Target::PgPool(p, o) => wrap(
                match o.fast_connection(p).await? {
                    Some(mut c) => pg_query(&self.sql, self.args).fetch_all(&mut *c).await?,
                    None => o.watch(p, pg_query(&self.sql, self.args).fetch_all(p).await)?,
                },
                Row::Postgres,
            ),
            Target::PgConn(c) => wrap(
                pg_query(&self.sql, self.args).fetch_all(c).await?,
                Row::Postgres,
            ),
        })
    }

    /// The first row, if any.
    pub async fn fetch_optional<'e>(
        self,
        on: impl Into<Target<'e>>,
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(match on.into() {
            Target::SqlitePool(p) => sqlite_query(&self.sql, self.args)
                .fetch_optional(p)
                .await?
                .map(Row::Sqlite),
            Target::SqliteConn(c) => sqlite_query(&self.sql, self.args)
                .fetch_optional(c)
                .await?
                .map(Row::Sqlite),
            Target::PgPool(p, o) => match o.fast_connection(p).await? {
                Some(mut c) => {
                    pg_query(&self.sql, self.args)
                        .fetch_optional(&mut *c)
                        .await?
                }
                None => o.watch(p, pg_query(&self.sql, self.args).fetch_optional(p).await)?,
            }
            .map(Row::Postgres),
            Target::PgConn(c) => pg_query(&self.sql, self.args)
                .fetch_optional(c)
                .await?
                .map(Row::Postgres),
        })
    }

    /// The first row; `RowNotFound` when there is none.
    pub async fn fetch_one<'e>(self, on: impl Into<Target<'e>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

fn wrap<R>(rows: Vec<R>, f: fn(R) -> Row) -> Vec<Row> {
    rows.into_iter().map(f).collect()
}

/// A type both drivers decode a column into.
pub trait Value:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Value for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A column named or numbered in both drivers' rows (`"title"`, `0`).
pub trait Column: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + std::fmt::Debug {}

impl<I> Column for I where I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + std::fmt::Debug {}

/// A domain id newtype stored as a whole number; [`Row::id`] reads it.
pub trait IdColumn: Sized {
    /// What the column holds (`i64`, or `Option<i64>` for a nullable column).
    type Raw: Value;
    /// Wraps the stored number.
    fn from_column(raw: Self::Raw) -> Self;
}

macro_rules! id_column {
    ($($t:ty),*) => {$(
        impl IdColumn for $t {
            type Raw = i64;
            fn from_column(raw: i64) -> Self {
                Self(raw)
            }
        }
        impl IdColumn for Option<$t> {
            type Raw = Option<i64>;
            fn from_column(raw: Option<i64>) -> Self {
                raw.map(<$t>::from_column)
            }
        }
    )*};
}

id_column!(
    dklik_domain::privacy::PersonId,
    dklik_domain::offer::OfferId,
    dklik_domain::employer::EmployerId,
    dklik_domain::orientation::SessionId
);

/// A result row.
pub enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From PostgreSQL.
    Postgres(PgRow),
}

impl Row {
    /// The column decoded as `T`; an error names the column when it is missing or of another
    /// type.
    pub fn try_get<T: Value, I: Column>(&self, col: I) -> Result<T, sqlx::Error> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    /// The column decoded as `T`, a failure as the store's error (naming the column).
    pub fn get<T: Value>(&self, col: impl Column) -> Result<T, StoreError> {
        self.try_get(col)
            .map_err(|e| StoreError::Backend(format!("lecture d'une ligne : {e}")))
    }

    /// An id column read as its newtype (`row.id::<PersonId>("person_id")?`), or as an
    /// `Option` of it when the column may be NULL.
    pub fn id<T: IdColumn>(&self, col: impl Column) -> Result<T, StoreError> {
        Ok(T::from_column(self.get(col)?))
    }

    /// The whole row mapped into a type ([`FromRow`]).
    pub fn to<T: FromRow>(&self) -> Result<T, StoreError> {
        T::from_row(self)
    }
}

/// A type read from a whole row: each row type of the store implements it once, and
/// [`query_as`] maps its rows through it. Tuples of [`Value`]s read the columns in order.
pub trait FromRow: Sized {
    /// Reads the row; a missing column or a value of another type is an error naming it.
    fn from_row(r: &Row) -> Result<Self, StoreError>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Value),+> FromRow for ($($t,)+) {
            fn from_row(r: &Row) -> Result<Self, StoreError> {
                Ok(($(r.get::<$t>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A statement whose rows are mapped into `T` ([`FromRow`]).
#[must_use = "a query does nothing until it is run"]
pub struct QueryAs<'q, T> {
    q: Query<'q>,
    _t: PhantomData<fn() -> T>,
}

/// A statement whose rows are [`FromRow`]s: `query_as::<Offer>(…)`, `query_as::<(i64, String)>(…)`.
pub fn query_as<T: FromRow>(sql: &str) -> QueryAs<'_, T> {
    QueryAs {
        q: query(sql),
        _t: PhantomData,
    }
}

impl<'q, T: FromRow> QueryAs<'q, T> {
    /// Binds the next `$n` parameter.
    pub fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.q = self.q.bind(v);
        self
    }

    /// All the rows, mapped.
    pub async fn fetch_all<'e>(self, on: impl Into<Target<'e>>) -> Result<Vec<T>, StoreError> {
        let rows = self.q.fetch_all(on).await.map_err(crate::common::db_err)?;
        rows.iter().map(Row::to).collect()
    }

    /// The first row mapped, if any.
    pub async fn fetch_optional<'e>(
        self,
        on: impl Into<Target<'e>>,
    ) -> Result<Option<T>, StoreError> {
        let row = self
            .q
            .fetch_optional(on)
            .await
            .map_err(crate::common::db_err)?;
        row.as_ref().map(Row::to).transpose()
    }

    /// The first row mapped; `RowNotFound` when there is none.
    pub async fn fetch_one<'e>(self, on: impl Into<Target<'e>>) -> Result<T, StoreError> {
        self.q
            .fetch_one(on)
            .await
            .map_err(crate::common::db_err)?
            .to()
    }
}

/// A statement whose first column is the answer.
#[must_use = "a query does nothing until it is run"]
pub struct QueryScalar<'q, T> {
    q: Query<'q>,
    _t: PhantomData<fn() -> T>,
}

/// A statement whose first column is the answer: `query_scalar::<i64>("SELECT count(*) …")`.
pub fn query_scalar<T: Value>(sql: &str) -> QueryScalar<'_, T> {
    QueryScalar {
        q: query(sql),
        _t: PhantomData,
    }
}

impl<'q, T: Value> QueryScalar<'q, T> {
    /// Binds the next `$n` parameter.
    pub fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.q = self.q.bind(v);
        self
    }

    /// The first column of every row.
    pub async fn fetch_all<'e>(self, on: impl Into<Target<'e>>) -> Result<Vec<T>, sqlx::Error> {
        self.q
            .fetch_all(on)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect()
    }

    /// The first column of the first row, if any.
    pub async fn fetch_optional<'e>(
        self,
        on: impl Into<Target<'e>>,
    ) -> Result<Option<T>, sqlx::Error> {
        self.q
            .fetch_optional(on)
            .await?
            .map(|r| r.try_get(0))
            .transpose()
    }

    /// The first column of the first row; `RowNotFound` when there is none.
    pub async fn fetch_one<'e>(self, on: impl Into<Target<'e>>) -> Result<T, sqlx::Error> {
        self.q.fetch_one(on).await?.try_get(0)
    }
}

/// A statement built piece by piece (filters, multi-row inserts); each bound value becomes the
/// next `$n`.
pub struct QueryBuilder {
    sql: String,
    args: Vec<Arg>,
}

impl QueryBuilder {
    /// Starts with the given text.
    pub fn new(init: impl Into<String>) -> Self {
        QueryBuilder {
            sql: init.into(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text (never a value typed by someone: bind those).
    pub fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Appends a placeholder and binds `v` to it.
    pub fn push_bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.args.push(v.into());
        let n = self.args.len();
        self.push(format_args!("${n}"))
    }

    /// A list whose items are separated by `sep` (`IN (…)`).
    pub fn separated<'b>(&'b mut self, sep: &'static str) -> Separated<'b> {
        Separated {
            qb: self,
            sep,
            first: true,
        }
    }

    /// Appends `VALUES (…), (…)`, one tuple per item, filled by `each`.
    pub fn push_values<I: IntoIterator>(
        &mut self,
        items: I,
        mut each: impl FnMut(Separated<'_>, I::Item),
    ) -> &mut Self {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            each(self.separated(", "), item);
            self.push(")");
        }
        self
    }

    /// The statement built so far.
    pub fn build(&mut self) -> Query<'_> {
        Query {
            sql: Cow::Borrowed(&self.sql),
            args: self.args.clone(),
        }
    }

    /// The statement built so far, its first column the answer.
    pub fn build_query_scalar<T: Value>(&mut self) -> QueryScalar<'_, T> {
        QueryScalar {
            q: self.build(),
            _t: PhantomData,
        }
    }

    /// The statement's text so far.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// Items of a list, separated (see [`QueryBuilder::separated`]).
pub struct Separated<'b> {
    qb: &'b mut QueryBuilder,
    sep: &'static str,
    first: bool,
}

impl Separated<'_> {
    fn next(&mut self) {
        if !self.first {
            self.qb.push(self.sep);
        }
        self.first = false;
    }

    /// Appends the separator (but before the first item) and a bound value.
    pub fn push_bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.next();
        self.qb.push_bind(v);
        self
    }

    /// Appends the separator (but before the first item) and SQL text.
    pub fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        self.next();
        self.qb.push(sql);
        self
    }

    /// Appends SQL text without a separator.
    pub fn push_unseparated(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        self.qb.push(sql);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_numbers_placeholders_in_order() {
        let mut qb = QueryBuilder::new("INSERT INTO t (a, b) ");
        qb.push_values([(1i64, "x"), (2, "y")], |mut b, (n, s)| {
            b.push_bind(n).push_bind(s);
        });
        qb.push(" WHERE c IN (");
        let mut sep = qb.separated(", ");
        sep.push_bind(true).push_bind(Option::<f64>::None);
        qb.push(")");
        assert_eq!(
            qb.sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
        let q = qb.build();
        assert_eq!(q.args.len(), 6);
        assert_eq!(q.args[3], Arg::Text(Some("y".into())));
        assert_eq!(q.args[5], Arg::F64(None));
    }
}
