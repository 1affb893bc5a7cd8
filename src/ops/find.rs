//! `crm find`: every customer matching a query, best first, from the
//! catalog cache (so a store of 100,000 customers is searched without
//! reading them), scored on every core.

use rayon::prelude::*;
use serde::Serialize;

use super::unseal::Opener;
use crate::model::search::{Field, Query};
use crate::model::Customer;
use crate::seal::record::Openness;
use crate::store::catalog::Catalog;
use crate::store::snapshot::Readable;
use crate::store::{Snapshot, Store};
use crate::{Error, Result};

/// What to look for.
#[derive(Debug, Clone)]
pub struct FindRequest {
    /// The query.
    pub query: String,
    /// At most this many results.
    pub limit: usize,
}

/// One customer found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Customer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner handle.
    pub owner: String,
    /// Region, if any.
    pub region: Option<String>,
    /// Tier.
    pub tier: String,
    /// The field that matched best.
    pub matched: Field,
    /// How well (higher is better; comparable within one search only).
    pub score: u32,
}

/// In a sealed store, the customers the acting user's key opens, opened:
/// their contacts, phones and notes are searched too (the catalog on disk
/// holds none of them). Empty in an unsealed store or without a key.
fn opened_customers(store: &Store, head: &Snapshot<'_>) -> Result<Vec<Customer>> {
    let config = head.config()?;
    if config.seal.is_none() || store.keys().identities()?.is_empty() {
        return Ok(Vec::new());
    }
    let opener = Opener::new(store, &config)?;
    let mut all = head.readable_customers()?.value;
    all.retain(|c| c.seal.is_some());
    all.par_iter_mut().for_each(|c| {
        if opener.open(c) != Openness::Opened {
            c.seal = None;
        }
    });
    all.retain(|c| c.seal.is_some());
    Ok(all)
}

/// The customers matching `req.query`, best first (ties by id), and the
/// files that could not be searched because they cannot be read (any of
/// them may be the customer looked for).
pub fn run(store: &Store, req: &FindRequest) -> Result<Readable<Vec<Found>>> {
    if req.query.trim().is_empty() {
        return Err(Error::invalid("query", &req.query, "give something to look for: a name, pinyin, phone, email…"));
    }
    let head = store.head()?;
    let catalog = Catalog::load(&head)?;
    let opened = Catalog::of(&opened_customers(store, &head)?);
    let query = Query::new(req.query.trim());
    let mut entries = catalog.par_entries(|line| query.may_match(line));
    entries.extend(opened.par_entries(|line| query.may_match(line)));
    let mut hits: Vec<_> = entries
        .par_iter()
        .filter(|e| e.readable)
        .map_init(Query::matcher, |matcher, e| query.score(matcher, &e.fields()).map(|hit| (hit, e)))
        .flatten()
        .collect();
    // Best first; a customer found both as stored and as opened once.
    hits.sort_unstable_by(|(a, x), (b, y)| b.score.cmp(&a.score).then_with(|| x.id.cmp(y.id)));
    let mut seen = std::collections::HashSet::new();
    hits.retain(|(_, e)| seen.insert(e.id));
    hits.truncate(req.limit);
    let skipped = head.map_readable_entries(catalog.unreadable(), |_| ())?.skipped;
    let found = hits
        .into_iter()
        .map(|(hit, e)| Found {
            id: e.id.to_string(),
            name: e.fields().name.to_string(),
            owner: e.owner.to_string(),
            region: (!e.region.is_empty()).then(|| e.region.to_string()),
            tier: e.tier.to_string(),
            matched: hit.field,
            score: hit.score,
        })
        .collect();
    Ok(Readable { value: found, skipped })
}
