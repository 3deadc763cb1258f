//! Pure rules and types: no I/O, no async, no SQL, no HTTP (DESIGN §4, layer 1).
//! Most unit and property tests live here.

pub mod account;
pub mod assembly;
pub mod audit;
pub mod certificate;
pub mod credit;
pub mod exam;
pub mod grading;
pub mod identity;
pub mod item;
pub mod org;
pub mod outliers;
pub mod policy;
pub mod role;
pub mod standard;
pub mod stats;
pub mod subsidy;
pub mod throttle;
pub mod time;
pub mod training;
pub mod validate;
