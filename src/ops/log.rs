//! `crm log`: ownership history, derived from the trees.

pub use crate::store::history::{EventKind, HistoryQuery, OwnershipEvent};
use crate::store::Store;
use crate::{Error, Result};

/// The events `query` selects, newest first.
pub fn run(store: &Store, query: &HistoryQuery) -> Result<Vec<OwnershipEvent>> {
    if let Some(id) = &query.customer {
        // An id that never existed is a typo, not an empty history.
        let events = events(store, query)?;
        if events.is_empty() && store.head()?.customer(id)?.is_none() {
            return Err(Error::UnknownCustomer(id.to_string()));
        }
        return Ok(events);
    }
    events(store, query)
}

fn events(store: &Store, query: &HistoryQuery) -> Result<Vec<OwnershipEvent>> {
    store.ownership_events(query, &store.gpg())
}
