//! `crm show`: one customer in full, with how its ownership came to be.

use serde::Serialize;

use crate::model::{Customer, CustomerId};
use crate::seal::record::Openness;
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
    /// In a sealed store, whether its sealed values opened with the acting
    /// user's key (`opened`) or read `sealed`.
    #[serde(skip_serializing_if = "is_clear")]
    pub sealing: Openness,
}

fn is_clear(o: &Openness) -> bool {
    *o == Openness::Clear
}

/// One customer with its ownership history.
pub fn run(store: &Store, id: &CustomerId) -> Result<CustomerDetail> {
    let head = store.head()?;
    let mut customer = head.existing_customer(id)?;
    let sealing = super::unseal::Opener::new(store, &head.config()?)?.open(&mut customer);
    let query = HistoryQuery { customer: Some(id.clone()), ..HistoryQuery::default() };
    let history = super::log::run(store, &query)?;
    Ok(CustomerDetail { customer, path: layout::customer_path(id), history, sealing })
}
