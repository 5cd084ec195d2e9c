//! Distances and a uniform grid for "what is within R metres of here".

/// A fast hasher for the engine's maps (grid cells, vehicles, counters), in the manner of
/// rustc's FxHash. Not resistant to chosen-key flooding, which is acceptable here: keys are
/// cell numbers, offer ids, and vehicle ids sent by authenticated feed senders.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// A hash map with the fast hasher below (keys are small integers).
pub type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.0;

/// A point on a local plane, in metres, around a reference latitude. Over a few tens of
/// kilometres the error of this projection is well under 1 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Xy {
    /// Metres east of the reference meridian.
    pub x: f64,
    /// Metres north of the equator.
    pub y: f64,
}

/// Projects WGS84 degrees onto a plane with equal metres on both axes near `ref_lat`.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    cos_ref: f64,
}

impl Projection {
    /// The projection around this latitude.
    pub fn new(ref_lat: f64) -> Self {
        Self {
            cos_ref: ref_lat.to_radians().cos(),
        }
    }
    /// The point of (lat, lon) on the plane.
    pub fn xy(&self, lat: f64, lon: f64) -> Xy {
        Xy {
            x: lon * M_PER_DEG * self.cos_ref,
            y: lat * M_PER_DEG,
        }
    }
}

/// Distance in metres between two points of the plane.
pub fn dist(a: Xy, b: Xy) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Distance from point `p` to the segment `a`–`b`.
pub fn dist_to_segment(p: Xy, a: Xy, b: Xy) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return dist(p, a);
    }
    let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0);
    dist(
        p,
        Xy {
            x: a.x + t * dx,
            y: a.y + t * dy,
        },
    )
}

/// Points in square cells of `cell` metres; a query looks at the cells its radius touches.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    cell: f64,
    cells: FxMap<(i64, i64), Vec<u32>>,
    points: Vec<Xy>,
}

impl Grid {
    /// A grid of `cell` metres over these points.
    pub fn new(cell: f64, points: Vec<Xy>) -> Self {
        let mut cells: FxMap<(i64, i64), Vec<u32>> = Default::default();
        for (i, p) in points.iter().enumerate() {
            cells.entry(Self::key(cell, *p)).or_default().push(i as u32);
        }
        Self {
            cell,
            cells,
            points,
        }
    }
    fn key(cell: f64, p: Xy) -> (i64, i64) {
        ((p.x / cell).floor() as i64, (p.y / cell).floor() as i64)
    }
    /// How many points it holds.
    pub fn len(&self) -> usize {
        self.points.len()
    }
    /// Whether it holds no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
    /// Calls `f(index, distance)` for every point within `r` metres of `p`.
    pub fn within(&self, p: Xy, r: f64, mut f: impl FnMut(u32, f64)) {
        if self.cell <= 0.0 {
            return;
        }
        let (cx, cy) = Self::key(self.cell, p);
        let span = (r / self.cell).ceil() as i64;
        for gx in cx - span..=cx + span {
            for gy in cy - span..=cy + span {
                if let Some(ids) = self.cells.get(&(gx, gy)) {
                    for &i in ids {
                        let d = dist(p, self.points[i as usize]);
                        if d <= r {
                            f(i, d);
                        }
                    }
                }
            }
        }
    }
    /// The nearest point within `r` metres.
    pub fn nearest(&self, p: Xy, r: f64) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        self.within(p, r, |i, d| {
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        });
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_finds_what_brute_force_finds() {
        let proj = Projection::new(51.0);
        let pts: Vec<Xy> = (0..400)
            .map(|i| {
                proj.xy(
                    51.0 + (i % 20) as f64 * 0.002,
                    2.3 + (i / 20) as f64 * 0.003,
                )
            })
            .collect();
        let g = Grid::new(250.0, pts.clone());
        let q = proj.xy(51.013, 2.331);
        let mut found = vec![];
        g.within(q, 600.0, |i, _| found.push(i));
        found.sort();
        let brute: Vec<u32> = (0..pts.len() as u32)
            .filter(|&i| dist(q, pts[i as usize]) <= 600.0)
            .collect();
        assert_eq!(found, brute);
        assert!(!found.is_empty());
    }

    #[test]
    fn segment_distance() {
        let a = Xy { x: 0.0, y: 0.0 };
        let b = Xy { x: 100.0, y: 0.0 };
        assert_eq!(dist_to_segment(Xy { x: 50.0, y: 30.0 }, a, b), 30.0);
        assert_eq!(dist_to_segment(Xy { x: 130.0, y: 40.0 }, a, b), 50.0);
    }
}
