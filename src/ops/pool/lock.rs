//! `crm pool lock` and `crm pool unlock`: a manager keeps customers out of
//! automatic releases (a key negotiation, a long tender), until a day or
//! until lifted. The lock is written in the customer's file
//! (`pool_locked_by`, `pool_locked_until`); only managers of the
//! customer's region and admins may set, change or lift it.

use serde::Serialize;

use super::read_each;
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::pool::PoolFields;
use crate::model::CustomerId;
use crate::ops::ownership::{self, Ownership, Sources};
use crate::ops::{Message, WriteOptions, Writer};
use crate::store::Store;
use crate::{Error, Result};

/// A lock to set, or to lift.
#[derive(Debug, Clone)]
pub struct LockRequest {
    /// The customers.
    pub ids: Vec<CustomerId>,
    /// The lock's last day (none: until lifted); ignored when lifting.
    pub until: Option<Date>,
    /// Lift the lock instead of setting it.
    pub lift: bool,
    /// Today (the day is the commit's: [`super::day_of`]).
    pub today: Date,
}

/// What a lock change did.
#[derive(Debug, Clone, Serialize)]
pub struct Locked {
    /// The customers.
    pub customers: Vec<String>,
    /// Who holds the lock now (none: lifted).
    pub locked_by: Option<String>,
    /// Its last day.
    pub until: Option<Date>,
    /// The commit.
    pub commit: String,
}

/// Sets or lifts the lock of the customers in one commit.
pub fn run(store: &Store, req: &LockRequest, opts: &WriteOptions) -> Result<Locked> {
    let w = Writer::start(store, opts)?;
    let me = w.actor.handle.to_string();
    let lock = match req.lift {
        true => PoolFields::default(),
        false => PoolFields { locked_by: Some(me.clone()), locked_until: req.until, ..PoolFields::default() },
    };
    let day = super::day_of(opts, req.today);
    if let Some(until) = lock.locked_until.filter(|until| *until < day) {
        return Err(Error::invalid(
            "--until",
            until.to_string(),
            format!("is before today ({day}): the lock would be over already"),
        ));
    }
    let chosen = read_each(w.snapshot(), &req.ids)?;
    let mut sources = Sources::with_capacity(chosen.len());
    let mut ids = Vec::with_capacity(chosen.len());
    for source in chosen {
        let c = &source.customer;
        if c.is_pooled() {
            return Err(Error::invalid(
                "customer",
                c.id.as_str(),
                "is in the pool; a lock keeps an owner's customer out of it",
            ));
        }
        if req.lift && c.pool.locked_by.is_none() {
            return Err(Error::NothingToDo(format!("{} is not locked", c.id)));
        }
        w.authorize(Action::Lock { customer: c })?;
        if (&c.pool.locked_by, c.pool.locked_until) == (&lock.locked_by, lock.locked_until) {
            continue;
        }
        ids.push(c.id.to_string());
        sources.insert(c.id.to_string(), source);
    }
    if ids.is_empty() {
        let until = lock.locked_until.map_or(String::new(), |u| format!(" until {u}"));
        return Err(Error::NothingToDo(format!("already locked by {me}{until}")));
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let edited = ownership::rewrite(&w, &ids, sources, |_, before| {
        let pool =
            PoolFields { locked_by: lock.locked_by.clone(), locked_until: lock.locked_until, ..before.pool.clone() };
        Ok(Ownership { owner: before.owner.clone(), backup: before.backup.clone(), pool })
    })?;
    let customers: Vec<String> = edited.iter().map(|(c, _)| c.id.to_string()).collect();
    let what = if req.lift { "unlock" } else { "lock" };
    let subject = match customers.as_slice() {
        [one] => format!("pool {what} {one}"),
        many => format!("pool {what} {} customers", many.len()),
    };
    let message = Message { subject, action: if req.lift { "pool-unlock" } else { "pool-lock" }, reason: None };
    let commit = w.commit(&message, edited.into_iter().map(|(_, change)| change).collect())?;
    Ok(Locked { customers, locked_by: lock.locked_by, until: lock.locked_until, commit: commit.to_string() })
}
