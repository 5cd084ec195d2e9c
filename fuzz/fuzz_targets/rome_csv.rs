//! Fuzz target: a ROME 4.0 release's CSV files. The input is the files' contents one after
//! the other, separated by a zero byte, in the order of `FILES`.
#![no_main]

const FILES: [&str; 8] = [
    "unix_referentiel_code_rome.csv",
    "unix_referentiel_appellation.csv",
    "unix_referentiel_competence.csv",
    "unix_referentiel_savoir.csv",
    "unix_referentiel_contexte_travail.csv",
    "unix_coherence_item.csv",
    "unix_grand_domaine.csv",
    "unix_rubrique_mobilite.csv",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files = FILES
        .iter()
        .zip(data.split(|b| *b == 0))
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let _ = dklik_imports::rome::parse_files(&files);
});
