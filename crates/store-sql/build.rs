//! Lists `migrations/NNNN_name.sql` for `migrate.rs`: adding a migration is adding its file.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(i64, String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("migrations/ is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let (num, name) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("{stem}: a migration is named NNNN_name.sql"));
            let version = num
                .parse::<i64>()
                .unwrap_or_else(|_| panic!("{stem}: a migration starts with its number"));
            (version, name.to_string(), p)
        })
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for (i, (version, name, path)) in files.iter().enumerate() {
        assert_eq!(
            *version,
            i as i64 + 1,
            "migrations are numbered from 1 without a gap ({})",
            path.display()
        );
        let _ = writeln!(
            out,
            "    ({version}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push(']');
    let target =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("migrations.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
