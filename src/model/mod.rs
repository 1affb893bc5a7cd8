//! The store's records as plain data: customers, staff, store settings, ids
//! and dates, with their validation. No I/O happens here.

pub mod authz;
pub mod config;
pub mod customer;
pub mod date;
pub mod dedupe;
pub mod document;
pub mod fastparse;
pub mod ids;
pub mod merge;
pub mod named;
pub mod pool;
pub mod rule_ids;
pub mod schema;
pub mod search;
pub mod sheet;
pub mod staff;
pub mod timestamp;
pub mod validity;

pub use config::{Company, Lang, ManagerScope, Policy, ReportSettings, StoreConfig};
pub use customer::{Contact, Customer, Touch};
pub use ids::{CustomerId, Handle};
pub use staff::{Role, Staff, StaffStatus};
