//! `crm pool assign`: a manager (of the customer's region) or an admin
//! gives a pooled customer to someone, in one commit. The claim limits are
//! the claimers' own; an assignment is a manager's decision.

use serde::Serialize;

use super::read_each;
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::pool::PoolFields;
use crate::model::{CustomerId, Role};
use crate::ops::ownership::{self, Ownership, Sources};
use crate::ops::{Message, WriteOptions, Writer};
use crate::store::Store;
use crate::{Error, Result};

/// An assignment from the pool.
#[derive(Debug, Clone)]
pub struct AssignRequest {
    /// The pooled customer.
    pub customer: CustomerId,
    /// Who gets it.
    pub to: String,
    /// Why, for the commit.
    pub reason: Option<String>,
    /// Today (a commit dated by git's environment is dated by its day).
    pub today: Date,
}

/// What an assignment did.
#[derive(Debug, Clone, Serialize)]
pub struct Assigned {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// The new owner.
    pub to: String,
    /// The backup afterwards.
    pub backup: Option<String>,
    /// The commit.
    pub commit: String,
}

/// Gives the pooled customer to `req.to` in one commit.
pub fn run(store: &Store, req: &AssignRequest, opts: &WriteOptions) -> Result<Assigned> {
    let w = Writer::start(store, opts)?;
    let to = w.active_person(&req.to)?.handle.to_string();
    let source = read_each(w.snapshot(), std::slice::from_ref(&req.customer))?.remove(0);
    let c = &source.customer;
    if !c.is_pooled() {
        return Err(Error::invalid(
            "customer",
            c.id.as_str(),
            format!("is not in the pool (its owner is {}); move it with crm reassign", c.owner),
        ));
    }
    if to == w.actor.handle.as_str() && w.actor.role != Role::Admin {
        // Taking a pooled customer for oneself is a claim, judged by the
        // pool's limits (verify reads it so); admins, who do not claim,
        // assign.
        return Err(Error::invalid(
            "customer",
            c.id.as_str(),
            format!("would go to you, {to}: taking a pooled customer yourself is a claim: crm claim {}", c.id),
        ));
    }
    w.authorize(Action::ChangeOwnership { customer: c })?;
    let backup = c.backup.clone().filter(|b| *b != to);
    // The day it was assigned starts the pool's clock again, as a claim's does.
    let pool = PoolFields { assigned: Some(super::day_of(opts, req.today)), ..Ownership::handed_on(&c.pool) };
    let after = Ownership { owner: to.clone(), backup: backup.clone(), pool };
    let (id, name) = (c.id.to_string(), c.name.clone());
    let sources = Sources::from([(id.clone(), source)]);
    let edited = ownership::rewrite(&w, &[id.as_str()], sources, |_, _| Ok(after.clone()))?;
    let subject = format!("pool assign {id}: @pool -> {to}");
    let message = Message { subject, action: "pool-assign", reason: req.reason.as_deref() };
    let commit = w.commit(&message, edited.into_iter().map(|(_, change)| change).collect())?;
    Ok(Assigned { customer: id, name, to, backup, commit: commit.to_string() })
}
