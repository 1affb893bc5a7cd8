//! `crm find`: every customer matching a query, best first, from the
//! catalog cache (so a store of 100,000 customers is searched without
//! reading them), scored on every core.

use rayon::prelude::*;
use serde::Serialize;

use crate::model::search::{Field, Query};
use crate::store::catalog::Catalog;
use crate::store::snapshot::Readable;
use crate::store::Store;
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

/// The customers matching `req.query`, best first (ties by id), and the
/// files that could not be searched because they cannot be read (any of
/// them may be the customer looked for).
pub fn run(store: &Store, req: &FindRequest) -> Result<Readable<Vec<Found>>> {
    if req.query.trim().is_empty() {
        return Err(Error::invalid("query", &req.query, "give something to look for: a name, pinyin, phone, email…"));
    }
    let head = store.head()?;
    let catalog = Catalog::load(&head)?;
    let query = Query::new(req.query.trim());
    let entries = catalog.par_entries(|line| query.may_match(line));
    let mut hits: Vec<_> = entries
        .par_iter()
        .filter(|e| e.readable)
        .map_init(Query::matcher, |matcher, e| query.score(matcher, &e.fields()).map(|hit| (hit, e)))
        .flatten()
        .collect();
    hits.sort_unstable_by(|(a, x), (b, y)| b.score.cmp(&a.score).then_with(|| x.id.cmp(y.id)));
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
