//! `crm claim`: a rep (or manager) takes customers from the pool, in one
//! signed commit, within the pool's limits: their region, the cooldown
//! after a customer was released from them, the claim limit per period
//! and the cap on customers owned. `crm verify` judges the same rules.

use serde::Serialize;

use super::{day_of, read_each};
use crate::model::date::Date;
use crate::model::pool::{self, PoolFields, Standing};
use crate::model::rule_ids::VerifyRule;
use crate::model::{Customer, CustomerId};
use crate::ops::ownership::{self, Ownership, Sources};
use crate::ops::{Message, WriteOptions, Writer};
use crate::store::catalog::Catalog;
use crate::store::Store;
use crate::{Error, Result};

/// A claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The customers to claim.
    pub ids: Vec<CustomerId>,
    /// Today (the day is the commit's: [`day_of`]).
    pub today: Date,
}

/// One customer claimed.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// Region.
    pub region: Option<String>,
    /// Value.
    pub value: Option<u64>,
    /// When it went to the pool.
    pub released: Option<Date>,
    /// Whom it was released from.
    pub from: Option<String>,
}

/// What a claim did.
#[derive(Debug, Clone, Serialize)]
pub struct Claimed {
    /// Who claimed.
    pub person: String,
    /// The customers claimed.
    pub claims: Vec<Claim>,
    /// Customers the person owns now.
    pub owned: usize,
    /// Of those, claimed within the claim period (this claim included).
    pub claimed_in_period: usize,
    /// The commit.
    pub commit: String,
}

/// Claims the customers for the acting person, in one commit.
pub fn run(store: &Store, req: &ClaimRequest, opts: &WriteOptions) -> Result<Claimed> {
    let w = Writer::start(store, opts)?;
    let day = day_of(opts, req.today);
    let me = w.actor.handle.to_string();
    let mut standing = standing(&Catalog::load(w.snapshot())?, &me, &w.config.pool, day);
    let chosen = read_each(w.snapshot(), &req.ids)?;
    let mut claims = Vec::with_capacity(chosen.len());
    let mut sources = Sources::with_capacity(chosen.len());
    for source in chosen {
        let c = &source.customer;
        let problems = pool::judge_claim(&w.actor, c, standing, &w.config.pool, day);
        if !problems.is_empty() {
            let counted = problems.iter().any(|d| matches!(d.rule, VerifyRule::ClaimLimit | VerifyRule::OwnedCap));
            let reasons: Vec<String> = problems.into_iter().map(|d| d.reason).collect();
            let mut action = reasons.join("; and may not ");
            if counted && !claims.is_empty() {
                // The limits count the claims before it in the same command.
                let n = claims.len();
                action.push_str(&format!(" (counting the {n} before it in this claim; nothing was claimed)"));
            }
            return Err(Error::Forbidden { actor: me, action });
        }
        standing.owned += 1;
        standing.claimed += 1;
        claims.push(claim(c));
        sources.insert(c.id.to_string(), source);
    }
    let ids: Vec<&str> = claims.iter().map(|c| c.customer.as_str()).collect();
    let edited = ownership::rewrite(&w, &ids, sources, |_, before| {
        Ok(Ownership {
            owner: me.clone(),
            // A backup left on a pooled file (releases before the backup
            // was dropped kept it) backs up nobody: the claimer starts clean.
            backup: None,
            pool: PoolFields { claimed: Some(day), ..Ownership::handed_on(&before.pool) },
        })
    })?;
    let subject = match claims.as_slice() {
        [one] => format!("claim {} from the pool", one.customer),
        many => format!("claim {} customers from the pool", many.len()),
    };
    let message = Message { subject, action: "claim", reason: None };
    let commit = w.commit(&message, edited.into_iter().map(|(_, change)| change).collect())?;
    Ok(Claimed {
        person: me,
        claims,
        owned: standing.owned,
        claimed_in_period: standing.claimed,
        commit: commit.to_string(),
    })
}

/// What `person` owns and has claimed within the claim period ending on
/// `day`, as the catalog says.
fn standing(catalog: &Catalog, person: &str, pool: &crate::model::config::PoolPolicy, day: Date) -> Standing {
    let mut out = Standing::default();
    for e in catalog.entries().filter(|e| e.readable && e.owner == person) {
        out.owned += 1;
        let claimed = e.facts(day).and_then(|f| f.claimed);
        out.claimed += usize::from(claimed.is_some_and(|d| pool::in_claim_period(d, day, pool)));
    }
    out
}

fn claim(c: &Customer) -> Claim {
    Claim {
        customer: c.id.to_string(),
        name: c.name.clone(),
        region: c.region.clone(),
        value: c.value,
        released: c.pool.released,
        from: c.pool.from.clone(),
    }
}
