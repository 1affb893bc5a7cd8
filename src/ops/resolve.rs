//! Which customer a person means: an id, a unique prefix of one, or a name
//! as written (`crm show 郑州宇通客运集团`), looked up in the catalog cache.

use crate::model::CustomerId;
use crate::store::catalog::{Catalog, Entry};
use crate::store::layout;
use crate::store::Store;
use crate::{Error, Result};

/// The customer `query` names: the id itself, else the one customer whose
/// name is exactly `query`, else the one whose id starts with it. Several
/// matches are [`Error::Ambiguous`], none [`Error::UnknownCustomer`].
pub fn customer(store: &Store, query: &str) -> Result<CustomerId> {
    let query = query.trim();
    let head = store.head()?;
    if let Ok(id) = CustomerId::parse(query) {
        // (Whatever is there: a file that cannot be read is named by the
        // command that reads it.)
        if head.has_entry(&layout::customer_path(&id)) {
            return Ok(id);
        }
    }
    let catalog = Catalog::load(&head)?;
    // A file that cannot be read has no name, but its id is known: a start
    // of it leads to the error that names the file.
    let entries: Vec<_> = catalog.entries().collect();
    let named: Vec<_> = entries.iter().filter(|e| e.readable && e.fields().name == query).collect();
    let candidate = |e: &Entry<'_>| {
        let name = if e.readable { e.fields().name } else { "its file cannot be read" };
        (e.id.to_string(), name.to_string())
    };
    let mut found: Vec<(String, String)> = if named.is_empty() {
        entries.iter().filter(|e| e.id.starts_with(query)).map(candidate).collect()
    } else {
        named.into_iter().map(candidate).collect()
    };
    found.sort();
    match found.len() {
        0 => Err(Error::UnknownCustomer(query.to_string())),
        1 => CustomerId::parse(&found[0].0),
        _ => Err(Error::Ambiguous { query: query.to_string(), candidates: found }),
    }
}
