//! Which customer a person means: an id, a unique prefix of one, or a name
//! as written (`crm show 郑州宇通客运集团`), looked up in the catalog cache.

use crate::model::CustomerId;
use crate::store::catalog::Catalog;
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
        if head.blob_id(&layout::customer_path(&id)).is_some() {
            return Ok(id);
        }
    }
    let catalog = Catalog::load(&head)?;
    let entries: Vec<_> = catalog.entries().filter(|e| e.readable).collect();
    let named: Vec<_> = entries.iter().filter(|e| e.fields().name == query).collect();
    let mut found: Vec<(String, String)> = if named.is_empty() {
        entries
            .iter()
            .filter(|e| e.id.starts_with(query))
            .map(|e| (e.id.to_string(), e.fields().name.to_string()))
            .collect()
    } else {
        named.iter().map(|e| (e.id.to_string(), e.fields().name.to_string())).collect()
    };
    found.sort();
    match found.len() {
        0 => Err(Error::UnknownCustomer(query.to_string())),
        1 => CustomerId::parse(&found[0].0),
        _ => Err(Error::Ambiguous { query: query.to_string(), candidates: found }),
    }
}
