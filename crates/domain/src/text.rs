//! French text folding for search: accents, case and plurals ignored.
//!
//! The same function builds the indexed text of an offer and the words of a query, so that
//! "Soudeurs" finds "soudeur" and "électricité" finds "Electricite".

/// Lower-cases and removes the diacritics of French (and common Latin) letters; ligatures are
/// spelled out (œ → oe). Anything that is not a letter or digit becomes a space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let lower = c.to_lowercase();
        for c in lower {
            match c {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
                'ç' => out.push('c'),
                'è' | 'é' | 'ê' | 'ë' => out.push('e'),
                'ì' | 'í' | 'î' | 'ï' => out.push('i'),
                'ñ' => out.push('n'),
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
                'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
                'ý' | 'ÿ' => out.push('y'),
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                c if c.is_alphanumeric() => out.push(c),
                _ => out.push(' '),
            }
        }
    }
    out
}

/// Reduces a folded word to a stem shared by its singular and plural (and the common
/// masculine/feminine job-title endings): "soudeuses" and "soudeur" both give "soudeu".
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    // Plurals: -aux → -al (métaux → métal), then a final s or x.
    if w.len() > 4 && w.ends_with("aux") {
        w.truncate(w.len() - 3);
        w.push_str("al");
    } else if w.len() > 3 && (w.ends_with('s') || w.ends_with('x')) {
        w.pop();
    }
    // Job-title genders: -euse/-eur, -rice/-eur, -ere/-er, -ienne/-ien, -ive/-if, then a mute e.
    for (suffix, repl) in [
        ("trice", "t"),
        ("teuse", "t"),
        ("teur", "t"),
        ("euse", "eu"),
        ("eur", "eu"),
        ("ienne", "ien"),
        ("ere", "er"),
        ("ive", "if"),
    ] {
        if w.len() > suffix.len() + 2 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            w.push_str(repl);
            return w;
        }
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
    w
}

/// Words of 2 letters and fewer and a few French function words are not worth indexing.
fn is_stop_word(w: &str) -> bool {
    w.len() < 2
        || matches!(
            w,
            "de" | "du"
                | "des"
                | "le"
                | "la"
                | "les"
                | "un"
                | "une"
                | "et"
                | "ou"
                | "en"
                | "au"
                | "aux"
                | "a"
                | "d"
                | "l"
                | "sur"
                | "pour"
                | "par"
                | "avec"
        )
}

/// The search terms of a text: folded, stemmed, without stop words, in order, deduplicated.
pub fn terms(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in fold(s).split_whitespace() {
        if is_stop_word(w) {
            continue;
        }
        let t = stem(w);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The indexed form of a text: its terms joined by spaces, with a space at each end so that a
/// query can look for " term" as a word start.
pub fn index_text(parts: &[&str]) -> String {
    let mut all: Vec<String> = Vec::new();
    for p in parts {
        for t in terms(p) {
            if !all.contains(&t) {
                all.push(t);
            }
        }
    }
    format!(" {} ", all.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_accents_and_case() {
        assert_eq!(fold("Électricité Œuvre"), "electricite oeuvre");
        assert_eq!(
            fold("Chaudronnier/Chaudronnière"),
            "chaudronnier chaudronniere"
        );
    }

    #[test]
    fn plurals_and_genders_share_a_stem() {
        assert_eq!(stem("soudeurs"), stem("soudeur"));
        assert_eq!(stem("soudeuses"), stem("soudeur"));
        assert_eq!(stem("metaux"), stem("metal"));
        assert_eq!(stem("operatrices"), stem("operateur"));
        assert_eq!(stem("chaudronnieres"), stem("chaudronnier"));
        assert_ne!(stem("soudure"), stem("peinture"));
    }

    #[test]
    fn terms_drop_stop_words() {
        assert_eq!(
            terms("Agent de nettoyage des Locaux"),
            vec!["agent", "nettoyag", "local"]
        );
    }

    #[test]
    fn index_text_finds_query_terms() {
        let idx = index_text(&["Soudeuse TIG", "Chantier naval"]);
        for t in terms("soudeurs") {
            assert!(idx.contains(&format!(" {t}")), "{idx} lacks {t}");
        }
    }
}
