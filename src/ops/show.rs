//! `crm show`: one customer in full, with how its ownership came to be.

use serde::Serialize;

use crate::model::{Customer, CustomerId};
use crate::store::history::{HistoryQuery, OwnershipEvent};
use crate::store::{layout, Store};
use crate::Result;

/// A customer and its ownership history.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerDetail {
    /// The record.
    #[serde(flatten)]
    pub customer: Customer,
    /// Its file.
    pub path: String,
    /// Ownership events, newest first.
    pub history: Vec<OwnershipEvent>,
}

/// One customer with its ownership history.
pub fn run(store: &Store, id: &CustomerId) -> Result<CustomerDetail> {
    let customer = store.head()?.existing_customer(id)?;
    let query = HistoryQuery { customer: Some(id.clone()), ..HistoryQuery::default() };
    let history = super::log::run(store, &query)?;
    Ok(CustomerDetail { customer, path: layout::customer_path(id), history })
}
