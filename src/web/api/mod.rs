//! The JSON API under `/api/v1`. Handlers parse, call [`crate::app`], and answer JSON;
//! errors take the one envelope of [`super::error`].

pub mod audit;
pub mod auth;
pub mod banks;
pub mod credit;
pub mod exams;
pub mod marking;
pub mod orgs;
pub mod results;
pub mod stats;
pub mod system;
pub mod users;
