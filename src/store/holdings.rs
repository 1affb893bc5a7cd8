//! Who holds how many customers in one tree, and which of them they
//! claimed from the pool when: what `verify` needs to judge a claim
//! against the claim limit and the cap on customers owned. Read from every
//! customer file once, then carried from tree to tree by comparing only
//! what changed, so judging many claims costs one full read.

use std::collections::HashMap;

use git2::Tree;

use super::graph;
use super::layout::{toml_stem, CUSTOMERS_DIR};
use super::treediff::{self, Blob};
use super::{ObjectId, Repo};
use crate::model::date::Date;
use crate::Result;

/// Customers owned, and the claim dates among them, per owner, in one tree.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    /// The `customers/` tree described (`None`: there is none).
    customers: Option<ObjectId>,
    owned: HashMap<String, usize>,
    claims: HashMap<String, Vec<Date>>,
}

impl Holdings {
    /// How many customers `owner` owns.
    pub fn owned(&self, owner: &str) -> usize {
        self.owned.get(owner).copied().unwrap_or(0)
    }

    /// The claim dates (`pool_claimed`) of the customers `owner` owns.
    pub fn claims(&self, owner: &str) -> &[Date] {
        self.claims.get(owner).map_or(&[], Vec::as_slice)
    }

    fn count(&mut self, (owner, claimed): (String, Option<Date>), sign: i64) {
        let n = self.owned.entry(owner.clone()).or_default();
        *n = n.saturating_add_signed(sign as isize);
        let Some(day) = claimed else { return };
        let list = self.claims.entry(owner).or_default();
        if sign > 0 {
            list.push(day);
        } else if let Some(i) = list.iter().position(|d| *d == day) {
            list.swap_remove(i);
        }
    }
}

impl Repo {
    /// The holdings of `tree`: from `known` (another tree's) by comparing
    /// the two `customers/` trees, else by reading every customer file.
    /// Files that cannot be read as customers hold nothing.
    pub fn holdings(&self, tree: &graph::Tree<'_>, known: Option<Holdings>) -> Result<Holdings> {
        let target = tree.entry_id(CUSTOMERS_DIR);
        let subtree = |id: Option<ObjectId>| -> Result<Option<Tree<'_>>> {
            match id {
                Some(id) => Ok(self.git.find_object(id.git(), None)?.into_tree().ok()),
                None => Ok(None),
            }
        };
        // Nothing known is the empty tree: every file is new.
        let mut out = known.unwrap_or_default();
        if out.customers == target {
            return Ok(out);
        }
        let changes = treediff::diff(&self.git, subtree(out.customers)?.as_ref(), subtree(target)?.as_ref(), "")?;
        for change in changes {
            let Some(stem) = change.path.rsplit('/').next().and_then(toml_stem) else { continue };
            if let Some(old) = self.holder(stem, change.old)? {
                out.count(old, -1);
            }
            if let Some(new) = self.holder(stem, change.new)? {
                out.count(new, 1);
            }
        }
        out.customers = target;
        Ok(out)
    }

    /// The owner and claim date of a customer blob (none when it cannot be
    /// read as a customer, or is no regular file).
    fn holder(&self, stem: &str, blob: Option<Blob>) -> Result<Option<(String, Option<Date>)>> {
        let Some(blob) = blob.filter(|b| b.mode & 0o170000 == 0o100000) else { return Ok(None) };
        Ok(self.customer_in(stem, blob.id)?.map(|c| (c.owner, c.pool.claimed)))
    }
}
