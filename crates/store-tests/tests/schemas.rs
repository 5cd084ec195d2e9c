//! After every migration, SQLite and PostgreSQL hold the same schema: the same tables, columns,
//! nullability, kinds of values and indexes. The contract suite checks behaviour; this checks
//! that the two migration folders did not drift apart.

use sqlx::{Connection, Row};
use std::collections::BTreeMap;

/// table → column → (not null, kind); and the explicit indexes as (table, name).
type Schema = (
    BTreeMap<String, BTreeMap<String, (bool, &'static str)>>,
    Vec<(String, String)>,
);

fn kind(sql_type: &str) -> &'static str {
    let t = sql_type.to_ascii_lowercase();
    if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("real")
        || t.contains("double")
        || t.contains("float")
        || t.contains("numeric")
    {
        "number"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else {
        "other"
    }
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .expect("tables");
    let mut out = BTreeMap::new();
    for t in &tables {
        let mut cols = BTreeMap::new();
        for r in sqlx::query(&format!("PRAGMA table_info(\"{t}\")"))
            .fetch_all(&mut c)
            .await
            .expect("columns")
        {
            let name: String = r.get("name");
            let not_null = r.get::<i64, _>("notnull") == 1 || r.get::<i64, _>("pk") > 0;
            let ty: String = r.get("type");
            cols.insert(name, (not_null, kind(&ty)));
        }
        out.insert(t.clone(), cols);
    }
    let indexes = sqlx::query_as::<_, (String, String)>(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY tbl_name, name",
    )
    .fetch_all(&mut c)
    .await
    .expect("indexes");
    (out, indexes)
}

async fn postgres_schema(url: &str) -> Schema {
    let mut c = sqlx::PgConnection::connect(url).await.expect("postgres");
    let mut out: BTreeMap<String, BTreeMap<String, (bool, &'static str)>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n, data_type::text AS d \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    )
    .fetch_all(&mut c)
    .await
    .expect("columns")
    {
        let d: String = r.get("d");
        out.entry(r.get("t"))
            .or_default()
            .insert(r.get("c"), (r.get::<String, _>("n") == "NO", kind(&d)));
    }
    // Indexes written in the migrations, not those PostgreSQL makes for keys and UNIQUE.
    let indexes = sqlx::query_as::<_, (String, String)>(
        "SELECT i.tablename::text, i.indexname::text FROM pg_indexes i \
         WHERE i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname) \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut c)
    .await
    .expect("indexes");
    (out, indexes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgresql_hold_the_same_schema() {
    let lite = dklik_store_tests::fresh_sqlite().await;
    let pg = dklik_store_tests::fresh_postgres().await;
    let (a_tables, a_indexes) = sqlite_schema(&lite.url).await;
    let (b_tables, b_indexes) = postgres_schema(&pg.url).await;
    assert!(a_tables.len() > 40, "{}", a_tables.len());
    let names = |m: &BTreeMap<String, BTreeMap<String, (bool, &'static str)>>| {
        m.keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(names(&a_tables), names(&b_tables), "the same tables");
    let mut differences = Vec::new();
    for (t, cols) in &a_tables {
        let other = &b_tables[t];
        for (c, def) in cols {
            match other.get(c) {
                None => differences.push(format!("{t}.{c}: only on SQLite")),
                Some(d) if d != def => {
                    differences.push(format!("{t}.{c}: SQLite {def:?}, PostgreSQL {d:?}"))
                }
                _ => {}
            }
        }
        for c in other.keys().filter(|c| !cols.contains_key(*c)) {
            differences.push(format!("{t}.{c}: only on PostgreSQL"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(a_indexes, b_indexes, "the same indexes");
}
