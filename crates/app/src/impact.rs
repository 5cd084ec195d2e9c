//! Impact figures: loads the facts from the store, computes the tables (the counting itself is
//! `dklik_domain::impact`) and writes the evaluators' CSV exports. The web dashboard, its
//! exports and `dklik report` all go through [`Report`], so they give the same numbers.

use crate::store::{Store, StoreError};
use dklik_domain::calendar::parse_day;
use dklik_domain::impact::{
    self as imp, Cell, Dimension, FunnelTable, ImpactData, OrientationRow, Period, ReachRow, Stage,
    FIRST_PEOPLE_COLUMN, FUNNEL_COLUMNS,
};
use dklik_domain::privacy::PersonId;
use dklik_domain::ValidationError;
use sha2::{Digest, Sha256};

/// What a report is asked for: days inclusive, in Europe/Paris, and an optional channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportParams {
    /// First day.
    pub from: time::Date,
    /// Inclusive.
    pub to: time::Date,
    /// A first-contact channel code, or none for all.
    pub channel: Option<String>,
}

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366 * 5;

impl ReportParams {
    /// Checks the text a form or the command line gave. Empty dates default to the last 12
    /// months up to `today`.
    pub fn parse(
        from: &str,
        to: &str,
        channel: &str,
        today: time::Date,
    ) -> Result<ReportParams, ValidationError> {
        let mut errs = ValidationError::default();
        let to = match to.trim() {
            "" => Some(today),
            t => errs.check("au", parse_day(t)),
        };
        let from = match from.trim() {
            "" => to.map(|t| t - time::Duration::days(364)),
            f => errs.check("du", parse_day(f)),
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errs.push("au", "La fin de la période est avant son début.");
            } else if (t - f).whole_days() >= MAX_DAYS {
                errs.push("du", "Une période couvre cinq ans au plus.");
            }
        }
        let channel = match channel.trim() {
            "" | "tous" => None,
            c if imp::CHANNELS.iter().any(|(k, _)| *k == c) => Some(c.to_string()),
            _ => {
                errs.push(
                    "canal",
                    "Ce canal n'existe pas : choisissez-le dans la liste.",
                );
                None
            }
        };
        errs.into_result()?;
        match (from, to) {
            (Some(from), Some(to)) => Ok(ReportParams { from, to, channel }),
            _ => Err(ValidationError::default()),
        }
    }

    /// `[from 00:00, to + 1 day 00:00)` in Europe/Paris.
    pub fn period(&self) -> Period {
        Period {
            from: crate::paris_instant(self.from, 0),
            to: crate::paris_instant(self.to + time::Duration::days(1), 0),
        }
    }

    fn channel_label(&self) -> String {
        match &self.channel {
            Some(c) => format!("{} ({c})", imp::channel_label(c)),
            None => "tous".into(),
        }
    }
}

/// The facts of a period, loaded once, and the tables computed from them.
pub struct Report {
    /// What was asked.
    pub params: ReportParams,
    /// What the figures are made from.
    pub data: ImpactData,
    /// Each person's first contact, worked out once for every table of the report.
    firsts: std::sync::OnceLock<std::collections::HashMap<PersonId, usize>>,
}

impl Report {
    /// Loads the data of the period.
    pub async fn load(store: &dyn Store, params: ReportParams) -> Result<Report, StoreError> {
        let p = params.period();
        let data = ImpactData {
            events: store.impact_events(p.to).await?,
            people: store
                .impact_people()
                .await?
                .into_iter()
                .map(|x| (x.id, x))
                .collect(),
            offers: store
                .impact_offers()
                .await?
                .into_iter()
                .map(|x| (x.id, x))
                .collect(),
            displays: store.impact_displays(p).await?,
            visits: store.impact_visits(p).await?,
            orientation: store.impact_orientation(p).await?,
            outreach: store.impact_outreach(p).await?,
        };
        Ok(Report::new(params, data))
    }

    /// A report on facts already loaded.
    pub fn new(params: ReportParams, data: ImpactData) -> Report {
        Report {
            params,
            data,
            firsts: Default::default(),
        }
    }

    fn firsts(&self) -> &std::collections::HashMap<PersonId, usize> {
        self.firsts
            .get_or_init(|| imp::first_contacts(&self.data.events))
    }

    /// The funnel by one dimension.
    pub fn funnel(&self, dim: Dimension) -> FunnelTable {
        imp::funnel_with(
            &self.data,
            self.firsts(),
            self.params.period(),
            self.params.channel.as_deref(),
            dim,
        )
    }

    /// People reached by neighbourhood and channel.
    pub fn reach(&self) -> Vec<ReachRow> {
        imp::reach_with(
            &self.data,
            self.firsts(),
            self.params.period(),
            self.params.channel.as_deref(),
        )
    }

    /// OrientaKlik figures by service.
    pub fn orientation(&self) -> Vec<OrientationRow> {
        imp::orientation(&self.data, self.params.period())
    }

    /// The header every export starts with: what it is and how it was made.
    fn header(&self, table: &str, extra: &[(&str, String)], at: time::OffsetDateTime) -> String {
        let mut h = String::new();
        h.push_str("# DKLIK - export pour l'évaluation\n");
        h.push_str(&format!("# table: {table}\n"));
        h.push_str(&format!(
            "# période: du {} au {} inclus (heure de Paris)\n",
            self.params.from, self.params.to
        ));
        h.push_str(&format!(
            "# canal du premier contact: {}\n",
            self.params.channel_label()
        ));
        for (k, v) in extra {
            h.push_str(&format!("# {k}: {v}\n"));
        }
        h.push_str(&format!("# produit le: {}\n", rfc3339(at)));
        h
    }

    /// The funnel by one dimension, people counts from 1 to 4 hidden.
    pub fn funnel_csv(&self, dim: Dimension, at: time::OffsetDateTime) -> String {
        let t = self.funnel(dim);
        let mut out = self.header(
            &format!("entonnoir-{}", dim.as_str()),
            &[
                ("ventilation", dim.label_fr().to_string()),
                ("règle", SUPPRESSION_RULE.to_string()),
                ("attribution", ATTRIBUTION.to_string()),
            ],
            at,
        );
        let mut head = vec![dim.as_str().to_string(), "libelle".into()];
        head.extend(FUNNEL_COLUMNS.iter().map(|c| c.to_string()));
        for w in FUNNEL_COLUMNS.windows(2) {
            head.push(format!("taux {} -> {}", w[0], w[1]));
        }
        out.push_str(&csv_line(&head));
        let rows: Vec<&imp::FunnelRow> = t.rows.iter().chain([&t.total]).collect();
        let cells = suppressed_cells(&t, dim.partitions_people());
        for (row, cells) in rows.iter().zip(cells) {
            let mut line = vec![row.key.clone(), row.label.clone()];
            line.extend(cells.iter().map(|c| match c {
                Some(c) => c.text(),
                None => String::new(),
            }));
            for i in 0..FUNNEL_COLUMNS.len() - 1 {
                line.push(match (cells[i], cells[i + 1]) {
                    (Some(Cell::Shown(a)), Some(Cell::Shown(b))) if a > 0 => {
                        format!("{:.1}", b as f64 * 100.0 / a as f64)
                    }
                    _ => String::new(),
                });
            }
            out.push_str(&csv_line(&line));
        }
        out
    }

    /// New people per month, neighbourhood and channel.
    pub fn reach_csv(&self, at: time::OffsetDateTime) -> String {
        let rows = self.reach();
        let mut out = self.header(
            "portee",
            &[
                ("règle", SUPPRESSION_RULE.to_string()),
                (
                    "définition",
                    "personnes dont le premier contact avec le programme tombe dans la période"
                        .to_string(),
                ),
            ],
            at,
        );
        out.push_str(&csv_line(&[
            "mois",
            "quartier",
            "quartier_prioritaire",
            "canal",
            "libelle_canal",
            "personnes",
        ]));
        let cells = // No total is written: nothing to subtract from.
        imp::suppress_column(&rows.iter().map(|r| r.people).collect::<Vec<_>>(), false);
        for (r, c) in rows.iter().zip(cells) {
            out.push_str(&csv_line(&[
                r.month.as_str(),
                r.neighbourhood.as_str(),
                imp::qpv_text(r.qpv),
                r.channel.as_str(),
                imp::channel_label(&r.channel),
                &c.text(),
            ]));
        }
        out
    }

    /// People the mobile teams met without opening a record, per month and place.
    pub fn outreach_csv(&self, at: time::OffsetDateTime) -> String {
        let rows = &self.data.outreach;
        let mut out = self.header(
            "rencontres",
            &[
                ("règle", SUPPRESSION_RULE.to_string()),
                (
                    "définition",
                    "personnes rencontrées par l'équipe mobile et seulement comptées (sans dossier), par mois et par lieu; une même personne peut être comptée deux fois"
                        .to_string(),
                ),
            ],
            at,
        );
        out.push_str(&csv_line(&["mois", "type_lieu", "lieu", "personnes"]));
        let cells = // No total is written: nothing to subtract from.
        imp::suppress_column(&rows.iter().map(|r| r.people).collect::<Vec<_>>(), false);
        for (r, c) in rows.iter().zip(cells) {
            out.push_str(&csv_line(&[
                r.month.as_str(),
                r.place_kind.as_str(),
                r.place.as_str(),
                &c.text(),
            ]));
        }
        out
    }

    /// OrientaKlik per service.
    pub fn orientation_csv(&self, at: time::OffsetDateTime) -> String {
        let rows = self.orientation();
        let mut out = self.header(
            "orientation",
            &[
                ("règle", SUPPRESSION_RULE.to_string()),
                (
                    "définition",
                    "séances commençant dans la période; « suite » = présents qui ont ensuite passé un test, une immersion ou une mise en relation; moyennes sur les personnes ayant répondu avant et après (1 à 5)"
                        .to_string(),
                ),
            ],
            at,
        );
        out.push_str(&csv_line(&[
            "service",
            "seances",
            "inscrits",
            "presents",
            "absents",
            "taux_presence",
            "repondants_avant_apres",
            "moyenne_avant",
            "moyenne_apres",
            "evolution",
            "suite",
            "part_suite",
        ]));
        let col = |f: fn(&OrientationRow) -> u64| {
            imp::suppress_column(&rows.iter().map(f).collect::<Vec<_>>(), false)
        };
        let registered = col(|r| r.registered);
        let present = col(|r| r.present);
        let absent = col(|r| r.absent);
        let surveyed = col(|r| r.surveyed);
        let went = col(|r| r.went_on);
        for (i, r) in rows.iter().enumerate() {
            let shown = |c: Cell| c.value().is_some();
            let pct = |v: Option<f64>| v.map(|x| format!("{:.1}", x * 100.0)).unwrap_or_default();
            let num = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
            let means_ok = shown(surveyed[i]) && r.surveyed > 0;
            out.push_str(&csv_line(&[
                r.service.clone(),
                r.sessions.to_string(),
                registered[i].text(),
                present[i].text(),
                absent[i].text(),
                if shown(present[i]) && shown(absent[i]) {
                    pct(r.attendance())
                } else {
                    String::new()
                },
                surveyed[i].text(),
                if means_ok {
                    num(r.before)
                } else {
                    String::new()
                },
                if means_ok {
                    num(r.after)
                } else {
                    String::new()
                },
                if means_ok {
                    num(r.change())
                } else {
                    String::new()
                },
                went[i].text(),
                if shown(went[i]) && shown(present[i]) {
                    pct(r.went_on_share())
                } else {
                    String::new()
                },
            ]));
        }
        out
    }

    /// One line per person active in the period, under a pseudonym that is stable for a given
    /// key. No name, contact, identifier or exact date: months only.
    pub fn people_csv(&self, key: &str, at: time::OffsetDateTime) -> String {
        let p = self.params.period();
        let firsts = self.firsts();
        let stages = [
            Stage::Interest,
            Stage::Contacted,
            Stage::Introduction,
            Stage::Interview,
            Stage::Hire,
            Stage::Orientation,
            Stage::OrientationPresent,
            Stage::Test,
            Stage::Immersion,
        ];
        let mut firsts_in: std::collections::BTreeMap<String, (PersonId, Vec<Option<i64>>)> =
            Default::default();
        // One HMAC per person, not per step.
        let mut pseudonyms: std::collections::HashMap<PersonId, String> = Default::default();
        for e in &self.data.events {
            let Some(first) = firsts.get(&e.person_id).map(|i| &self.data.events[*i]) else {
                continue;
            };
            if self
                .params
                .channel
                .as_deref()
                .is_some_and(|c| c != first.channel)
            {
                continue;
            }
            let counted = p.contains(e.at)
                && (e.stage.is_some_and(|s| stages.contains(&s)) || first.id == e.id);
            if !counted {
                continue;
            }
            let pseudo = pseudonyms
                .entry(e.person_id)
                .or_insert_with(|| pseudonym(key, e.person_id))
                .clone();
            let entry = firsts_in
                .entry(pseudo)
                .or_insert_with(|| (e.person_id, vec![None; stages.len()]));
            if let Some(i) = e.stage.and_then(|s| stages.iter().position(|x| *x == s)) {
                entry.1[i] = Some(entry.1[i].map_or(e.at, |t: i64| t.min(e.at)));
            }
        }
        let mut out = self.header(
            "personnes",
            &[
                (
                    "pseudonymes",
                    format!(
                        "HMAC-SHA256 de l'identifiant interne, clé d'empreinte {} (même clé, mêmes pseudonymes)",
                        key_fingerprint(key)
                    ),
                ),
                (
                    "contenu",
                    "aucun nom, contact ni identifiant; dates au mois".to_string(),
                ),
            ],
            at,
        );
        let mut head: Vec<String> = [
            "pseudonyme",
            "premier_canal",
            "premier_contact_mois",
            "quartier",
            "quartier_prioritaire",
            "tranche_age",
            "genre",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        head.extend(stages.iter().map(|s| format!("{}_mois", s.as_str())));
        out.push_str(&csv_line(&head));
        for (pseudo, (person, months)) in firsts_in {
            let first = &self.data.events[firsts[&person]];
            let facts = self.data.people.get(&person).cloned().unwrap_or_default();
            let mut line = vec![
                pseudo,
                first.channel.clone(),
                imp::month_of(first.at),
                facts.neighbourhood.unwrap_or_default(),
                imp::qpv_text(facts.qpv).into(),
                facts.age_band.unwrap_or_default(),
                facts.gender.unwrap_or_default(),
            ];
            line.extend(
                months
                    .iter()
                    .map(|m| m.map(imp::month_of).unwrap_or_default()),
            );
            out.push_str(&csv_line(&line));
        }
        out
    }
}

/// The rule hiding small counts, as printed under every table.
pub const SUPPRESSION_RULE: &str = "effectifs de 1 à 4 personnes masqués (<5); quand une seule case d'une colonne serait masquée alors que les lignes s'additionnent, la plus petite case suivante l'est aussi";
/// How people are tied to a channel, as printed under every table.
pub const ATTRIBUTION: &str = "chaque personne est rattachée à son premier contact (canal, ligne, arrêt); entreprise et famille de métiers sont celles de l'offre de l'étape; une personne compte une fois par étape et par ligne";

/// The suppressed cells of each row of a funnel (the total last); `None` where the column
/// does not apply. Displays and scans are not people and are never hidden.
pub fn suppressed_cells(t: &FunnelTable, rows_add_up: bool) -> Vec<Vec<Option<Cell>>> {
    let n = t.rows.len();
    let mut out: Vec<Vec<Option<Cell>>> = vec![vec![None; FUNNEL_COLUMNS.len()]; n + 1];
    #[allow(clippy::needless_range_loop)] // columns are filled across rows
    for col in 0..FUNNEL_COLUMNS.len() {
        if col < FIRST_PEOPLE_COLUMN {
            for (i, r) in t.rows.iter().chain([&t.total]).enumerate() {
                out[i][col] = r.counts[col].map(Cell::Shown);
            }
            continue;
        }
        let values: Vec<u64> = t.rows.iter().map(|r| r.counts[col].unwrap_or(0)).collect();
        for (i, c) in imp::suppress_column(&values, rows_add_up)
            .into_iter()
            .enumerate()
        {
            out[i][col] = Some(c);
        }
        out[n][col] = t.total.counts[col].map(Cell::primary);
    }
    out
}

/// A person's pseudonym for an export key: the first 16 hex digits of HMAC-SHA256.
pub fn pseudonym(key: &str, person_id: PersonId) -> String {
    hex(&crate::auth::hmac_sha256(key.as_bytes(), person_id.to_string().as_bytes())[..8])
}

/// Tells two keys apart in a header without giving the key away.
pub fn key_fingerprint(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes())[..4])
}

/// The shortest export key accepted: a guessable key would let pseudonyms be reversed by
/// trying every identifier.
pub const MIN_KEY_CHARS: usize = 12;

/// Checks the key that makes pseudonyms (at least 16 characters).
pub fn check_key(key: &str) -> Result<&str, ValidationError> {
    let k = key.trim();
    if k.chars().count() < MIN_KEY_CHARS {
        let mut e = ValidationError::default();
        e.push(
            "cle",
            format!(
                "Choisissez une clé d'export d'au moins {MIN_KEY_CHARS} caractères et gardez-la : avec la même clé, les pseudonymes restent les mêmes d'un export à l'autre."
            ),
        );
        return Err(e);
    }
    Ok(k)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    let d = at.date();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month() as u8,
        d.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// One CSV line (RFC 4180, cells safe for spreadsheets: see `dklik_domain::csv`).
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = dklik_domain::csv::line(fields, ',');
    line.push('\n');
    line
}

/// The exports `dklik report` writes and the dashboard offers, by file name.
pub fn export_names() -> Vec<String> {
    let mut v: Vec<String> = Dimension::ALL
        .iter()
        .map(|d| format!("entonnoir-{}", d.as_str()))
        .collect();
    v.push("portee".into());
    v.push("rencontres".into());
    v.push("orientation".into());
    v
}

/// One aggregated export by name (see [`export_names`]).
pub fn export(report: &Report, name: &str, at: time::OffsetDateTime) -> Option<String> {
    if let Some(d) = name.strip_prefix("entonnoir-").and_then(Dimension::parse) {
        return Some(report.funnel_csv(d, at));
    }
    match name {
        "portee" => Some(report.reach_csv(at)),
        "rencontres" => Some(report.outreach_csv(at)),
        "orientation" => Some(report.orientation_csv(at)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2.
        let mac = crate::auth::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(pseudonym("une clé assez longue", PersonId(7)).len(), 16);
        assert_eq!(
            pseudonym("une clé assez longue", PersonId(7)),
            pseudonym("une clé assez longue", PersonId(7))
        );
        assert_ne!(
            pseudonym("une clé assez longue", PersonId(7)),
            pseudonym("une autre clé longue", PersonId(7))
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_line(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(csv_line(&["=1+1", "-2"]), "'=1+1,-2\n");
    }

    #[test]
    fn report_params_refuse_bad_periods_in_french() {
        let today = time::macros::date!(2026 - 11 - 29);
        let p = ReportParams::parse("", "", "", today).unwrap();
        assert_eq!(p.to, today);
        assert_eq!((p.to - p.from).whole_days(), 364);
        let e = ReportParams::parse("2026-05-01", "2026-04-01", "", today).unwrap_err();
        assert!(e.errors[0].message.contains("avant son début"));
        let e = ReportParams::parse("hier", "", "radio", today).unwrap_err();
        assert_eq!(e.errors.len(), 2);
        assert!(check_key("court").is_err());
        assert!(check_key("une clé assez longue").is_ok());
    }
}
