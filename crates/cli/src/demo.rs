//! `dklik demo`: a fresh SQLite database with a small ROME release and 64 offers of fictional
//! employers in the Dunkerque area's industrial zones. Everything is embedded in the binary.

use anyhow::{bail, Context, Result};
use dklik_app::Store;
use std::collections::HashMap;
use std::sync::Arc;

macro_rules! rome_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../fixtures/rome/", $name)).as_slice(),
        )
    };
}

const ROME_FILES: [(&str, &[u8]); 8] = [
    rome_file!("unix_referentiel_code_rome.csv"),
    rome_file!("unix_referentiel_appellation.csv"),
    rome_file!("unix_referentiel_competence.csv"),
    rome_file!("unix_referentiel_savoir.csv"),
    rome_file!("unix_referentiel_contexte_travail.csv"),
    rome_file!("unix_coherence_item.csv"),
    rome_file!("unix_rubrique_mobilite.csv"),
    rome_file!("unix_grand_domaine.csv"),
];

const DEMO_OFFERS: &[u8] = include_bytes!("../../../fixtures/offers/demo-offres.csv");

/// Removes the demo database, then fills a new one.
pub async fn prepare(db: &str) -> Result<Arc<dyn Store>> {
    let Some(path) = db.strip_prefix("sqlite://") else {
        bail!("la démo utilise une base SQLite (sqlite://FICHIER)");
    };
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{path}{suffix}");
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p).with_context(|| format!("suppression de {p} impossible"))?;
        }
    }
    let store = crate::open_store(db).await?;
    let files: HashMap<String, Vec<u8>> = ROME_FILES
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let rome = match dklik_imports::rome::parse_files(&files) {
        Ok(r) => r,
        Err(e) => bail!("référentiel de démonstration illisible : {e}"),
    };
    store.save_rome(&rome, &|_| {}).await?;
    let raw = match dklik_imports::offers::read("demo-offres.csv", DEMO_OFFERS) {
        Ok(r) => r,
        Err(e) => bail!("offres de démonstration illisibles : {e}"),
    };
    let out = dklik_app::offers::import_offers(store.as_ref(), raw, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Démo prête : {} offres d'entreprises fictives, base {path}.",
        out.created
    );
    Ok(store)
}
