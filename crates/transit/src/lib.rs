#![warn(missing_docs)]
//! Public transport data for DKLIK: GTFS static feeds read from a folder or a zip file.
//!
//! Plain Rust, no I/O besides reading the feed: the rest of DKLIK gets a checked [`gtfs::Feed`].

pub mod gtfs;
pub mod journey;
pub mod realtime;
pub mod replay;
