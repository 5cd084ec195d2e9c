//! Numbers read from JSON as JSON Schema reads them: `12` and `12.0` are the same integer.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct Whole;

impl Visitor<'_> for Whole {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("un nombre entier")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("nombre entier trop grand"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(v as i64)
        } else {
            Err(E::custom("un nombre entier est attendu"))
        }
    }
}

/// For `#[serde(deserialize_with = "…")]`: an integer, written with or without `.0`.
pub fn whole_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(Whole)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::whole_i64")]
        n: i64,
    }

    #[test]
    fn integers_with_or_without_a_point() {
        let n = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n);
        assert_eq!(n(r#"{"n": 12}"#).ok(), Some(12));
        assert_eq!(n(r#"{"n": 12.0}"#).ok(), Some(12));
        assert_eq!(n(r#"{"n": -3}"#).ok(), Some(-3));
        assert!(n(r#"{"n": 1.5}"#).is_err());
        assert!(n(r#"{"n": "12"}"#).is_err());
        assert!(n(r#"{"n": 1e300}"#).is_err());
    }
}
