//! A plain plan of the territory: points placed by latitude and longitude on a flat drawing
//! (no map tiles, nothing fetched from elsewhere), and back from a point of the drawing to
//! coordinates (a click on the plan places an employer's site).

/// How coordinates map onto a drawing of `width` × `height` pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    lat1: f64,
    lon0: f64,
    /// cos(latitude): a degree of longitude is shorter than one of latitude.
    k: f64,
    /// Pixels per degree of latitude.
    scale: f64,
    margin: f64,
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
}

impl Plan {
    /// The plan that shows every point, with `margin` pixels around; None without points.
    pub fn around(points: &[(f64, f64)], width: f64, height: f64, margin: f64) -> Option<Self> {
        if points.is_empty() {
            return None;
        }
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (la, lo) in points {
            lat0 = lat0.min(*la);
            lat1 = lat1.max(*la);
            lon0 = lon0.min(*lo);
            lon1 = lon1.max(*lo);
        }
        let k = lat0.to_radians().cos();
        let inner = (width - 2.0 * margin, height - 2.0 * margin);
        let sx = inner.0 / ((lon1 - lon0) * k).max(1e-6);
        let sy = inner.1 / (lat1 - lat0).max(1e-6);
        Some(Self {
            lat1,
            lon0,
            k,
            scale: sx.min(sy),
            margin,
            width,
            height,
        })
    }

    /// Where a point is drawn.
    pub fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            self.margin + (lon - self.lon0) * self.k * self.scale,
            self.margin + (self.lat1 - lat) * self.scale,
        )
    }

    /// The coordinates of a point of the drawing.
    pub fn lat_lon(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.lat1 - (y - self.margin) / self.scale,
            self.lon0 + (x - self.margin) / (self.k * self.scale),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_drawn_is_read_back() {
        let plan = Plan::around(
            &[(51.03, 2.37), (50.98, 2.12), (51.06, 2.50)],
            320.0,
            240.0,
            12.0,
        )
        .expect("plan");
        for (la, lo) in [(51.03, 2.37), (51.0, 2.2), (51.06, 2.5)] {
            let (x, y) = plan.xy(la, lo);
            assert!((0.0..=320.0).contains(&x) && (0.0..=240.0).contains(&y));
            let (a, b) = plan.lat_lon(x, y);
            assert!((a - la).abs() < 1e-9 && (b - lo).abs() < 1e-9);
        }
        assert!(Plan::around(&[], 10.0, 10.0, 1.0).is_none());
    }
}
