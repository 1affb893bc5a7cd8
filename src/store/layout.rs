//! Where things live in a store: `crm.toml`, `staff/<handle>.toml` and
//! `customers/<xx>/<id>.toml`, with `<xx>` from [`CustomerId::shard`].

use crate::model::{CustomerId, Handle};

/// The store settings file at the root.
pub const CONFIG_FILE: &str = "crm.toml";
/// The directory of staff files.
pub const STAFF_DIR: &str = "staff";
/// The directory of customer shard directories.
pub const CUSTOMERS_DIR: &str = "customers";

/// `customers/<xx>/<id>.toml`.
pub fn customer_path(id: &CustomerId) -> String {
    format!("{CUSTOMERS_DIR}/{}/{id}.toml", id.shard())
}

/// `staff/<handle>.toml`.
pub fn staff_path(handle: &Handle) -> String {
    format!("{STAFF_DIR}/{handle}.toml")
}

/// The file stem of a `.toml` file name, if it is one.
pub fn toml_stem(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(".toml")
}
