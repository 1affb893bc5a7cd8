//! What the commits of a period did to customer files, both versions of
//! each changed file read: what the weekly report compares for contact
//! changes, deletions and touches logged in someone else's name. Also the
//! store-level entry points to the history index and its descriptions,
//! and reading one version of a customer file.

use git2::Repository;

use super::history::{self, customer_of, Attribution, HistoryQuery, OwnershipEvent};
use super::history_index::{self, History, RawEvent};
use super::layout::CUSTOMERS_DIR;
use super::sigcheck::{Gpg, SigStatus};
use super::{treediff, ObjectId, Repo, Store};
use crate::model::date::Date;
use crate::model::{Customer, CustomerId};
use crate::{Error, Result};

/// One first-parent commit's changes to customer files, not read yet: a
/// bulk commit changes thousands, and reading them one at a time keeps
/// only one customer's two versions in memory ([`Store::read_change`]).
pub struct CommitChanges {
    /// The commit.
    pub commit: ObjectId,
    /// Its committer date.
    pub date: Date,
    /// Each customer file it changed.
    pub files: Vec<ChangedFile>,
}

/// A customer file a commit changed.
pub struct ChangedFile {
    id: String,
    old: Option<treediff::Blob>,
    new: Option<treediff::Blob>,
}

/// One customer file changed by a commit; a version that cannot be read
/// as a customer is `None`.
pub struct CustomerChange {
    /// The customer id (the file stem).
    pub id: String,
    /// Before the commit.
    pub before: Option<Customer>,
    /// After the commit.
    pub after: Option<Customer>,
    /// Whether the commit deleted the file.
    pub removed: bool,
}

impl Store {
    /// First-parent history from HEAD: every step and ownership event,
    /// from the cache (brought up to date) or built afresh.
    pub fn history(&self) -> Result<History> {
        let head = self.repo().head()?.peel_to_commit()?.id();
        history_index::load(self.repo(), head, self.progress())
    }

    /// The ownership events of first-parent commits from HEAD dated `since`
    /// or later, newest first ([`history_index::recent_events`]: without
    /// the history index, only those commits are compared).
    pub fn recent_events(&self, since: Date) -> Result<Vec<RawEvent>> {
        let head = self.repo().head()?.peel_to_commit()?.id();
        history_index::recent_events(self.repo(), head, since)
    }

    /// The ownership events from HEAD that `query` selects, described.
    pub fn ownership_events(&self, query: &HistoryQuery, gpg: &Gpg) -> Result<Vec<OwnershipEvent>> {
        let head = self.repo().head()?.peel_to_commit()?.id();
        history::ownership_events(self.repo(), head, query, gpg, self.progress())
    }

    /// `events` that `query` selects, with who made them, their signature
    /// status and reason.
    pub fn describe(
        &self,
        events: impl IntoIterator<Item = RawEvent>,
        query: &HistoryQuery,
        gpg: &Gpg,
    ) -> Result<Vec<OwnershipEvent>> {
        history::describe(self.repo(), events, query, gpg)
    }

    /// Calls `f` with the customer changes of every step of `history`
    /// dated within `from..=until`, newest first.
    pub fn for_each_change(
        &self,
        history: &History,
        from: Date,
        until: Date,
        mut f: impl FnMut(CommitChanges) -> Result<()>,
    ) -> Result<()> {
        let repo = self.repo();
        let steps = history.steps.iter().enumerate().filter(|(_, s)| s.date >= from && s.date <= until);
        for (i, step) in steps {
            let commit = repo.find_commit(step.id)?;
            let parent = history.steps.get(i + 1).map(|p| repo.find_commit(p.id).and_then(|c| c.tree())).transpose()?;
            let files = treediff::diff_dir(repo, parent.as_ref(), Some(&commit.tree()?), CUSTOMERS_DIR)?
                .into_iter()
                .map(|change| ChangedFile { id: customer_of(&change.path), old: change.old, new: change.new })
                .collect();
            f(CommitChanges { commit: commit.id().into(), date: step.date, files })?;
        }
        Ok(())
    }

    /// Who made `commit` and its signature status (see [`Attribution`]).
    pub fn commit_actor(
        &self,
        attribution: &mut Attribution,
        commit: ObjectId,
        gpg: &Gpg,
    ) -> Result<(String, SigStatus)> {
        let commit = self.repo().find_commit(commit.git())?;
        attribution.actor(self.repo(), &commit, gpg)
    }

    /// Both versions of a changed customer file.
    pub fn read_change(&self, file: &ChangedFile) -> Result<CustomerChange> {
        Ok(CustomerChange {
            id: file.id.clone(),
            before: self.read_customer(&file.id, file.old)?,
            after: self.read_customer(&file.id, file.new)?,
            removed: file.new.is_none(),
        })
    }

    /// The customer in `blob` (the file of customer `id`), if readable; a
    /// blob missing from the clone is an error.
    fn read_customer(&self, id: &str, blob: Option<treediff::Blob>) -> Result<Option<Customer>> {
        let Some(blob) = blob else { return Ok(None) };
        customer_in(self.repo(), id, blob.id)
    }
}

impl Repo {
    /// The customer `id` in `blob` (a version of its file), if the blob
    /// reads as one: UTF-8, a valid id and a valid record. A blob missing
    /// from the clone is an error.
    pub fn customer_in(&self, id: &str, blob: ObjectId) -> Result<Option<Customer>> {
        customer_in(&self.git, id, blob)
    }

    /// The bytes of blob `blob`.
    pub fn blob_content(&self, blob: ObjectId) -> Result<Vec<u8>> {
        let found = self.git.find_blob(blob.git()).map_err(|e| Error::from_lookup(e, blob.git()))?;
        Ok(found.content().to_vec())
    }
}

/// [`Repo::customer_in`] of `repo`.
fn customer_in(repo: &Repository, id: &str, blob: ObjectId) -> Result<Option<Customer>> {
    let found = repo.find_blob(blob.git()).map_err(|e| Error::from_lookup(e, blob.git()))?;
    let Ok(text) = std::str::from_utf8(found.content()) else { return Ok(None) };
    Ok(CustomerId::parse(id).ok().and_then(|cid| Customer::parse(&cid, id, text).ok()))
}

#[cfg(test)]
mod tests {
    use crate::store::scratch::Scratch;
    use crate::store::ObjectId;
    use crate::Error;

    #[test]
    fn customer_in_reads_a_blob_as_a_customer_or_not_at_all() {
        let s = Scratch::new();
        let blob = |bytes: &[u8]| -> ObjectId { s.repo.git.blob(bytes).unwrap().into() };
        let good = blob(b"name = \"Acme\"\nowner = \"li.na\"\n");
        let customer = s.repo.customer_in("acme", good).unwrap().unwrap();
        assert_eq!((customer.id.as_str(), customer.owner.as_str()), ("acme", "li.na"));
        assert!(s.repo.customer_in("Not An Id", good).unwrap().is_none());
        assert!(s.repo.customer_in("acme", blob(b"name = \"Acme\"\n")).unwrap().is_none());
        assert!(s.repo.customer_in("acme", blob(b"name = \"\xff\"\nowner = \"li.na\"\n")).unwrap().is_none());
        let missing: ObjectId = "0123456789012345678901234567890123456789".parse().unwrap();
        assert!(matches!(s.repo.customer_in("acme", missing), Err(Error::MissingObject(_))));
    }
}
