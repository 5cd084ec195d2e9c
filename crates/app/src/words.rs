//! The word index shared by the searches held in memory (the public offers, the staff's list
//! of people): the words of numbered documents, each with the documents holding it and its best
//! weight there, looked up by the start of a word and with one-letter typos.
//!
//! Words are those of [`dklik_domain::text::terms`] (accents, case, plurals and job-title
//! genders folded). A query word matches a document's word that starts with it (weighed
//! [`PREFIX`] unless equal); a query word of 5 letters or more also matches a word one letter
//! away ([`TYPO`]), looked for among the stems and among the words as written ("soudeir" is one
//! letter from "soudeur", two from its stem "soudeu").

use dklik_domain::text::{fold, terms};
use std::collections::HashMap;
use std::sync::Arc;

/// The factor of a query word that is only the start of a document's word.
pub const PREFIX: f32 = 0.9;
/// The factor of a query word one letter away from a document's word.
pub const TYPO: f32 = 0.6;

/// Collects the words of documents numbered 0, 1, 2… in that order.
#[derive(Default)]
pub struct WordsBuilder {
    words: HashMap<String, Vec<(u32, f32)>>,
    written: HashMap<String, String>,
    /// The words of texts many documents share, worked out once.
    known: HashMap<String, Arc<Vec<String>>>,
}

impl WordsBuilder {
    /// Adds the words of `text` to document `doc` with weight `w`; `shared`: a text many
    /// documents hold (a job sheet, a commune), whose words are kept to be reused. Documents
    /// must be added in increasing order.
    pub fn add(&mut self, doc: u32, text: &str, w: f32, shared: bool) {
        let list = match self.known.get(text) {
            Some(l) => l.clone(),
            None => {
                for raw in fold(text).split_whitespace() {
                    if raw.chars().count() >= 5 && !self.written.contains_key(raw) {
                        if let Some(t) = terms(raw).pop() {
                            self.written.insert(raw.to_string(), t);
                        }
                    }
                }
                let l = Arc::new(terms(text));
                if shared {
                    self.known.insert(text.to_string(), l.clone());
                }
                l
            }
        };
        for t in list.iter() {
            self.add_term(doc, t, w);
        }
    }

    /// Adds one word as it is (already folded: a phone number's digits).
    pub fn add_term(&mut self, doc: u32, term: &str, w: f32) {
        // Postings grow in document order, so each is sorted as built and a word met again in
        // the same document only raises its last weight.
        let postings = match self.words.get_mut(term) {
            Some(p) => p,
            None => self.words.entry(term.to_string()).or_default(),
        };
        match postings.last_mut() {
            Some(last) if last.0 == doc => {
                if w > last.1 {
                    last.1 = w;
                }
            }
            _ => postings.push((doc, w)),
        }
    }

    /// The index, sorted for look-ups.
    pub fn finish(self) -> Words {
        let mut vocab: Vec<(String, Vec<(u32, f32)>)> = self
            .words
            .into_iter()
            .map(|(w, mut p)| {
                p.shrink_to_fit();
                (w, p)
            })
            .collect();
        vocab.sort_by(|a, b| a.0.cmp(&b.0));
        let mut written: Vec<(String, String)> = self.written.into_iter().collect();
        written.sort();
        written.retain(|(w, _)| !has_digit(w));
        let spelled = (0..vocab.len() as u32)
            .filter(|&i| !has_digit(&vocab[i as usize].0))
            .collect();
        Words {
            vocab,
            written,
            spelled,
        }
    }
}

/// The words of a set of documents, sorted.
pub struct Words {
    /// Every word (its stem), sorted, with the documents holding it and its best weight there.
    vocab: Vec<(String, Vec<(u32, f32)>)>,
    /// Every word of 5 letters or more as written (folded, not stemmed), with its stem; words
    /// with a digit left out (a typo is looked for among words, not numbers or codes).
    written: Vec<(String, String)>,
    /// The places in `vocab` of the words without a digit, where typos are looked for.
    spelled: Vec<u32>,
}

fn has_digit(w: &str) -> bool {
    w.bytes().any(|b| b.is_ascii_digit())
}

impl Words {
    /// How many distinct words.
    pub fn len(&self) -> usize {
        self.vocab.len()
    }

    /// Whether no document has a word.
    pub fn is_empty(&self) -> bool {
        self.vocab.is_empty()
    }

    /// The best weight of each document holding a word that matches `term`, written into `out`
    /// (one slot per document, zero where none matches; `typed`: the word as typed, folded,
    /// when known).
    pub fn weigh(&self, term: &str, typed: Option<&str>, out: &mut [f32]) {
        out.fill(0.0);
        let mut take = |postings: &[(u32, f32)], factor: f32| {
            for &(d, w) in postings {
                let slot = &mut out[d as usize];
                if w * factor > *slot {
                    *slot = w * factor;
                }
            }
        };
        // Words starting with the term are contiguous in the sorted vocabulary.
        let start = self.vocab.partition_point(|(w, _)| w.as_str() < term);
        for (w, postings) in self.vocab[start..]
            .iter()
            .take_while(|(w, _)| w.starts_with(term))
        {
            take(postings, if w == term { 1.0 } else { PREFIX });
        }
        // A number or a code is matched by its start only.
        if has_digit(term) {
            return;
        }
        let near = |a: &str, b: &str| {
            let (n, m) = (a.len(), b.len());
            n >= 5 && m + 2 >= n && m <= n + 2 && one_apart(a, b)
        };
        for &i in &self.spelled {
            let (w, postings) = &self.vocab[i as usize];
            if near(term, w) {
                take(postings, TYPO);
            }
        }
        if let Some(typed) = typed {
            for (raw, stem) in &self.written {
                if near(typed, raw) {
                    if let Ok(i) = self.vocab.binary_search_by(|(w, _)| w.as_str().cmp(stem)) {
                        take(&self.vocab[i].1, TYPO);
                    }
                }
            }
        }
    }

    /// The documents (of `n`) holding a match of every term, in document order, each with the
    /// sum of its best weights; every document (weight 0) when there is no term. `typed`: the
    /// query as typed, for typos ([`typed_words`]).
    pub fn matching(&self, query: &[String], typed: &str, n: usize) -> Vec<(u32, f32)> {
        if query.is_empty() {
            return (0..n as u32).map(|d| (d, 0.0)).collect();
        }
        let typed = typed_words(typed);
        let (mut score, mut this) = (vec![0f32; n], vec![0f32; n]);
        let mut alive: Option<Vec<u32>> = None;
        for t in query {
            self.weigh(t, typed.get(t).map(String::as_str), &mut this);
            alive = Some(match alive {
                None => (0..n as u32).filter(|&d| this[d as usize] > 0.0).collect(),
                Some(prev) => prev
                    .into_iter()
                    .filter(|&d| this[d as usize] > 0.0)
                    .collect(),
            });
            for &d in alive.iter().flatten() {
                score[d as usize] += this[d as usize];
            }
            if alive.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        alive
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d, score[d as usize]))
            .collect()
    }
}

/// The typed words (folded) of each stem of `typed`.
pub fn typed_words(typed: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for raw in fold(typed).split_whitespace() {
        if let Some(t) = terms(raw).pop() {
            out.entry(t).or_insert_with(|| raw.to_string());
        }
    }
    out
}

/// Whether `a` and `b` are one insertion, deletion or substitution apart (not equal).
pub fn one_apart(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_apart_in(a.as_bytes(), b.as_bytes());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    one_apart_in(&a, &b)
}

fn one_apart_in<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let mut i = 0;
    while i < short.len() && short[i] == long[i] {
        i += 1;
    }
    if i == long.len() {
        return false;
    }
    if short.len() == long.len() {
        short[i + 1..] == long[i + 1..]
    } else {
        short[i..] == long[i + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_letter_apart() {
        assert!(one_apart("soudeur", "soudeir"));
        assert!(one_apart("cariste", "carste"));
        assert!(one_apart("cariste", "caristes"));
        assert!(!one_apart("cariste", "cariste"));
        assert!(!one_apart("cariste", "carist"[..4].as_ref()));
        assert!(!one_apart("abc", "xyz"));
    }

    #[test]
    fn every_word_must_match_by_its_start_or_one_letter() {
        let mut b = WordsBuilder::default();
        b.add(0, "Soudeur TIG à Gravelines", 2.0, false);
        b.add(1, "Cariste de nuit", 2.0, false);
        b.add(2, "Soudeuse à Dunkerque", 2.0, false);
        b.add_term(2, "0612345678", 1.0);
        let w = b.finish();
        let docs = |q: &str| -> Vec<u32> {
            w.matching(&terms(q), q, 3)
                .into_iter()
                .map(|(d, _)| d)
                .collect()
        };
        assert_eq!(docs("soudeuses"), vec![0, 2]);
        assert_eq!(docs("soudeir gravel"), vec![0]);
        assert_eq!(docs("soudeur nuit"), Vec::<u32>::new());
        assert_eq!(docs("0612"), vec![2]);
        assert_eq!(docs(""), vec![0, 1, 2]);
        let exact = w.matching(&terms("cariste"), "cariste", 3);
        let start = w.matching(&terms("caris"), "caris", 3);
        assert!(exact[0].1 > start[0].1, "{exact:?} {start:?}");
    }
}
