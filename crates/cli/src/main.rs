//! `dklik`: the one binary. `serve` runs the web server, `demo` a demo on a fresh SQLite file,
//! `import` reads ROME releases and offer files, `migrate` prepares a database.

mod demo;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use dklik_app::offers::{import_offers, ImportError};
use dklik_app::Store;
use std::path::PathBuf;
use std::sync::Arc;

const DEFAULT_DB: &str = "sqlite://data/dklik.db";

#[derive(Parser)]
#[command(
    name = "dklik",
    version,
    about = "DKLIK : offres d'emploi, écrans de bus et mises en relation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Database URL: sqlite://FILE or postgres://USER@HOST:PORT/DB.
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, env = "DKLIK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// The site's public address, for absolute links (defaults to http://LISTEN).
        #[arg(long, env = "DKLIK_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Start a fresh demo (SQLite under ./data/) with fictional employers of the Dunkerque area.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Fill the database and stop, without serving.
        #[arg(long)]
        no_serve: bool,
        #[arg(long, default_value = "sqlite://data/demo.db")]
        db: String,
    },
    /// Import reference data or offers.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Apply the database migrations and stop.
    Migrate {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Print the latest call-back requests as JSON lines (until the advisors' inbox exists).
    Interests {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// A ROME 4.0 CSV export folder (France Travail).
    Rome {
        dir: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Offers: the DKLIK CSV template, or France Travail offer JSON.
    Offers {
        file: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        /// Mark the employers as fictional (demo and test data).
        #[arg(long)]
        fictional: bool,
    },
}

/// Opens the store named by a URL and applies its migrations.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(
                dklik_store_postgres::PgStore::connect(url)
                    .await
                    .context("connexion à PostgreSQL impossible")?,
            )
        } else if url.starts_with("sqlite:") {
            Arc::new(
                dklik_store_sqlite::SqliteStore::connect(url)
                    .await
                    .context("ouverture de la base SQLite impossible")?,
            )
        } else {
            bail!("adresse de base inconnue « {url} » : utilisez sqlite://FICHIER ou postgres://…");
        };
    store
        .migrate()
        .await
        .context("migration de la base impossible")?;
    Ok(store)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("démarrage du runtime impossible")?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            public_url,
        } => {
            let store = open_store(&db).await?;
            serve(store, &listen, public_url).await
        }
        Command::Demo {
            listen,
            no_serve,
            db,
        } => {
            let store = demo::prepare(&db).await?;
            if no_serve {
                return Ok(());
            }
            serve(store, &listen, None).await
        }
        Command::Migrate { db } => {
            let store = open_store(&db).await?;
            println!("Base {} à jour.", store.backend());
            Ok(())
        }
        Command::Interests { db, limit } => {
            let store = open_store(&db).await?;
            for i in store.interests(limit.min(10_000)).await? {
                println!("{}", serde_json::to_string(&i)?);
            }
            Ok(())
        }
        Command::Import {
            what: ImportWhat::Rome { dir, db },
        } => import_rome(&dir, &db).await,
        Command::Import {
            what:
                ImportWhat::Offers {
                    file,
                    db,
                    fictional,
                },
        } => import_offer_file(&file, &db, fictional).await,
    }
}

async fn serve(store: Arc<dyn Store>, listen: &str, public_url: Option<String>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("impossible d'écouter sur {listen}"))?;
    let addr = listener.local_addr()?;
    let base = public_url.unwrap_or_else(|| format!("http://{addr}"));
    println!("DKLIK écoute sur http://{addr} (base {})", store.backend());
    println!("  Site public : {base}/");
    println!("  Offres      : {base}/offres");
    println!("  API         : {base}/api/v1/openapi.json");
    println!("Arrêt : Ctrl+C");
    dklik_web::serve(store, &base, listener).await?;
    Ok(())
}

async fn import_rome(dir: &std::path::Path, db: &str) -> Result<()> {
    eprintln!("Lecture de {}…", dir.display());
    let rome = match dklik_imports::rome::read_dir(dir) {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    let store = open_store(db).await?;
    let total = dklik_app::rome::row_total(&rome);
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lignes ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |n: u64| bar.set_position(n);
    let report = dklik_app::rome::import_rome(store.as_ref(), &rome, &progress).await?;
    bar.finish_and_clear();
    let c = report.counts;
    println!(
        "Référentiel ROME importé : {} lignes ajoutées ou modifiées.",
        report.changed
    );
    println!("fiches métiers : {}", c.jobs);
    println!("appellations : {}", c.appellations);
    println!(
        "compétences : {} (dont savoir-être : {})",
        c.competences, c.savoir_etre
    );
    println!("savoirs : {}", c.savoirs);
    println!("contextes de travail : {}", c.contexts);
    println!("liens fiche-élément : {}", c.job_items);
    println!("liens de mobilité : {}", c.mobility);
    Ok(())
}

async fn import_offer_file(file: &std::path::Path, db: &str, fictional: bool) -> Result<()> {
    let meta = std::fs::metadata(file)
        .with_context(|| format!("fichier {} introuvable", file.display()))?;
    if meta.len() > dklik_imports::MAX_IMPORT_BYTES {
        bail!("fichier trop gros ({} octets ; 64 Mo au plus)", meta.len());
    }
    let bytes =
        std::fs::read(file).with_context(|| format!("lecture de {} impossible", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let raw = match dklik_imports::offers::read(&name, &bytes) {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    let store = open_store(db).await?;
    match import_offers(store.as_ref(), raw, fictional).await {
        Ok(out) => {
            println!(
                "Offres importées : {} créées, {} mises à jour.",
                out.created, out.updated
            );
            Ok(())
        }
        Err(ImportError::Invalid(e)) => bail!("{e}"),
        Err(ImportError::Store(dklik_app::StoreError::Conflict(m))) => {
            bail!("Le fichier est refusé, rien n'a été enregistré : {m}")
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
