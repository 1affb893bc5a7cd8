//! `crm`: a customer store kept in a git repository.
//!
//! One TOML file per customer, one commit per user action, signatures from the
//! staff's own keys. The library knows nothing of the command line: `cli` turns
//! arguments into requests for `ops`, which work on a `store::Store`.

#![warn(missing_docs)]

pub mod cli;
pub mod error;
pub mod model;
pub mod ops;
pub mod seal;
pub mod store;

pub use error::{Error, Result};
