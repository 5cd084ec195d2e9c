//! Places: coordinates on the globe and French commune codes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// WGS84 coordinates, always within range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coordinates {
    lat: f64,
    lon: f64,
}

impl Coordinates {
    /// A point; latitude outside ±90 or longitude outside ±180 is refused.
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!(
                "La latitude {lat} est hors limites : elle doit être entre -90 et 90."
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(format!(
                "La longitude {lon} est hors limites : elle doit être entre -180 et 180."
            ));
        }
        Ok(Self { lat, lon })
    }
    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }
    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }
    /// Great-circle distance in metres.
    pub fn distance_m(&self, other: &Coordinates) -> f64 {
        let r = 6_371_008.8_f64;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * a.sqrt().asin()
    }
}

/// An INSEE commune code: 5 characters, digits, or 2A/2B for Corsica (`59183` is Dunkerque).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^([0-9]{5}|2[AB][0-9]{3})$"))]
pub struct InseeCode(String);

impl InseeCode {
    /// Reads a five-character INSEE code (2A/2B for Corsica).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        let ok = b.len() == 5
            && b[2..].iter().all(u8::is_ascii_digit)
            && (b[..2].iter().all(u8::is_ascii_digit) || &b[..2] == b"2A" || &b[..2] == b"2B");
        if ok {
            Ok(Self(t))
        } else {
            Err(format!(
                "« {s} » n'est pas un code commune INSEE : il faut 5 caractères, par exemple 59183."
            ))
        }
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InseeCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<InseeCode> for String {
    fn from(c: InseeCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_in_range() {
        assert!(Coordinates::new(51.03, 2.37).is_ok());
        assert!(Coordinates::new(91.0, 2.0).is_err());
        assert!(Coordinates::new(51.0, -181.0).is_err());
        assert!(Coordinates::new(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn distance_dunkerque_gravelines() {
        let dk = Coordinates::new(51.0343, 2.3768).unwrap();
        let gv = Coordinates::new(50.9866, 2.1280).unwrap();
        let d = dk.distance_m(&gv);
        assert!((17_000.0..19_500.0).contains(&d), "{d}");
    }

    #[test]
    fn insee_codes() {
        assert!(InseeCode::parse("59183").is_ok());
        assert!(InseeCode::parse("2A004").is_ok());
        assert!(InseeCode::parse("5918").is_err());
        assert!(InseeCode::parse("ABCDE").is_err());
    }
}
