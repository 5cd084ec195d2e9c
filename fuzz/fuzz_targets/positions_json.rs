//! Fuzz target: the positions JSON an operator posts to `/api/v1/positions` (one position or a
//! list). Any input gives positions or a French refusal, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(positions) = dklik_app::screens::read_positions_json(data) {
        assert!(positions.len() <= dklik_app::screens::MAX_POSITIONS_PER_BODY);
        for p in &positions {
            assert!(!p.vehicle.is_empty() && p.vehicle.chars().count() <= 100);
            assert!((0..=dklik_app::screens::LATEST_INSTANT).contains(&p.timestamp));
        }
    }
});
