//! A CSV file addressed by column names, read whole, with checks that record each problem at
//! its file, line and column. Shared by the ROME and GTFS readers.

use crate::ImportErrors;
use std::collections::HashMap;

/// Stops collecting after this many problems: past that the file is plainly not the format.
pub const MAX_PROBLEMS: usize = 200;

pub struct Table<'a> {
    file: &'a str,
    cols: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl<'a> Table<'a> {
    /// Reads `file` from `files` when present; None (with the problem recorded) when it is
    /// unusable. `trim` trims every field; `hint` ends the missing-columns message.
    pub fn read(
        file: &'a str,
        files: &HashMap<String, Vec<u8>>,
        needed: &[&str],
        trim: bool,
        hint: &str,
        errs: &mut ImportErrors,
    ) -> Option<Self> {
        let bytes = files.get(file)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(if trim {
                csv::Trim::All
            } else {
                csv::Trim::None
            })
            .from_reader(bytes);
        let headers = match r.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                errs.push(file, "", format!("en-tête illisible ({e})."));
                return None;
            }
        };
        let cols = crate::header_index(&headers, false);
        let missing = crate::missing_columns(&cols, needed);
        if !missing.is_empty() {
            errs.push(
                file,
                "",
                format!(
                    "colonne(s) absente(s) de l'en-tête : {}.{hint}",
                    missing.join(", ")
                ),
            );
            return None;
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            match rec {
                Ok(rec) => {
                    if rec.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    rows.push((line, rec));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    errs.push(
                        &format!("{file}, ligne {line}"),
                        "",
                        format!("ligne CSV illisible ({e})."),
                    );
                    if errs.0.len() >= MAX_PROBLEMS {
                        return None;
                    }
                }
            }
        }
        Some(Self { file, cols, rows })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, rec)| Row {
            table: self,
            rec,
            line: *line,
        })
    }
}

/// One line of a table.
pub struct Row<'t> {
    table: &'t Table<'t>,
    rec: &'t csv::StringRecord,
    line: u64,
}

impl<'t> Row<'t> {
    /// A column's value, trimmed; "" when absent.
    pub fn get(&self, col: &str) -> &'t str {
        self.table
            .cols
            .get(col)
            .and_then(|&i| self.rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
    pub fn place(&self) -> String {
        format!("{}, ligne {}", self.table.file, self.line)
    }
    pub fn problem(&self, errs: &mut ImportErrors, col: &str, message: impl Into<String>) {
        errs.push(&self.place(), col, message);
    }
    /// A value that must not be empty.
    pub fn required(&self, col: &str, errs: &mut ImportErrors) -> Option<&'t str> {
        let v = self.get(col);
        if v.is_empty() {
            self.problem(errs, col, "valeur vide.");
            None
        } else {
            Some(v)
        }
    }
    /// A required value, parsed.
    pub fn parsed<T>(
        &self,
        col: &str,
        errs: &mut ImportErrors,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.required(col, errs)?;
        parse(v).map_err(|m| self.problem(errs, col, m)).ok()
    }
    /// An optional integer column with a default.
    pub fn int_or(&self, col: &str, default: i32, errs: &mut ImportErrors) -> i32 {
        let v = self.get(col);
        if v.is_empty() {
            return default;
        }
        v.parse().unwrap_or_else(|_| {
            self.problem(errs, col, format!("« {v} » n'est pas un nombre entier."));
            default
        })
    }
}
