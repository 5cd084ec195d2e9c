#![warn(missing_docs)]
//! The trigger engine, plain Rust with no I/O.
//!
//! It holds the stops and the hiring sites in a spatial grid. For each vehicle position it
//! checks the position (stale, out of order, duplicated, impossible jump, far from the network),
//! finds the stop the bus is nearing, and when that stop changes (or the bus enters a GPS
//! fence around a site) it picks at most 3 offers of the hiring sites within walking distance:
//! published offers only, frequency caps per offer per vehicle and per day, rotation between
//! employers, campaign weights and hours, and a fallback slide when nothing is near.

pub mod engine;
pub mod geo;

pub use engine::{
    Campaign, Engine, EngineConfig, Fence, HiringOffer, Position, Rejection, Slide, StopPoint,
    Trigger,
};
