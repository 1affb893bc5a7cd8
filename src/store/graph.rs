//! The commit graph for readers outside the store (`verify`): commits and
//! trees as handles the store owns, walks over history, and ancestry. The
//! handles are thin: they wrap what libgit2 has already read, so a walk
//! reads each object once, as it would with libgit2 directly.

use git2::{ObjectType, Repository, Revwalk, Sort};

use super::history::commit_date;
use super::{ObjectId, Repo};
use crate::model::date::Date;
use crate::{Error, Result};

/// A commit read from the repository.
#[derive(Clone)]
pub struct Commit<'r>(git2::Commit<'r>);

impl<'r> Commit<'r> {
    /// Its id.
    pub fn id(&self) -> ObjectId {
        self.0.id().into()
    }

    /// Its parents, in order.
    pub fn parents(&self) -> impl Iterator<Item = Commit<'r>> + '_ {
        self.0.parents().map(Commit)
    }

    /// Its first parent; an error for a root commit (or a parent missing
    /// from the clone).
    pub fn first_parent(&self) -> Result<Commit<'r>> {
        Ok(Commit(self.0.parent(0)?))
    }

    /// Its tree.
    pub fn tree(&self) -> Result<Tree<'r>> {
        Ok(Tree(self.0.tree()?))
    }

    /// The committer, as the commit states it (nothing proves it).
    pub fn committer(&self) -> Committer<'_> {
        Committer(self.0.committer())
    }

    /// The committer date in the committer's time zone.
    pub fn date(&self) -> Date {
        commit_date(&self.0)
    }
}

/// The committer line of a commit.
pub struct Committer<'c>(git2::Signature<'c>);

impl Committer<'_> {
    /// The email address (empty when it is not UTF-8).
    pub fn email(&self) -> &str {
        self.0.email().unwrap_or_default()
    }
}

/// A tree read from the repository.
#[derive(Clone)]
pub struct Tree<'r>(git2::Tree<'r>);

impl<'r> Tree<'r> {
    /// The id of the entry `name` directly in this tree, whatever it is.
    pub fn entry_id(&self, name: &str) -> Option<ObjectId> {
        self.0.get_name(name).map(|e| e.id().into())
    }

    /// The id of the entry `name` directly in this tree when it is a blob
    /// (a file or a link).
    pub fn blob_id(&self, name: &str) -> Option<ObjectId> {
        self.0.get_name(name).filter(|e| e.kind() == Some(ObjectType::Blob)).map(|e| e.id().into())
    }

    /// The libgit2 tree, for the store's own modules.
    pub(crate) fn git(&self) -> &git2::Tree<'r> {
        &self.0
    }
}

/// In which order a walk yields commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Every commit after all of its parents (git's `--topo-order
    /// --reverse`).
    ParentsFirst,
    /// As libgit2 finds them, with no sorting pass (the cheapest order).
    Unsorted,
}

/// The commits of a walk ([`Repo::walk`]), each read as it is reached.
pub struct Commits<'r> {
    repo: &'r Repository,
    walk: Revwalk<'r>,
}

impl<'r> Iterator for Commits<'r> {
    type Item = Result<Commit<'r>>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = self.walk.next()?;
        Some(id.and_then(|id| self.repo.find_commit(id)).map(Commit).map_err(Error::from))
    }
}

impl Repo {
    /// The commit revision `rev` names (`HEAD`, a branch, `main~2`, an id…).
    pub fn resolve(&self, rev: &str) -> Result<ObjectId> {
        self.git
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id().into())
            .map_err(|_| Error::invalid("revision", rev, "not a commit in this repository"))
    }

    /// The commit `id`.
    pub fn find_commit(&self, id: ObjectId) -> Result<Commit<'_>> {
        Ok(Commit(self.git.find_commit(id.git())?))
    }

    /// The commits reachable from `tips` but from none of `hidden`, in
    /// `order`.
    pub fn walk(&self, tips: &[ObjectId], hidden: &[ObjectId], order: Order) -> Result<Commits<'_>> {
        let mut walk = self.git.revwalk()?;
        if order == Order::ParentsFirst {
            walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        }
        for tip in tips {
            walk.push(tip.git())?;
        }
        for hidden in hidden {
            walk.hide(hidden.git())?;
        }
        Ok(Commits { repo: &self.git, walk })
    }

    /// The best common ancestor of `a` and `b`; `None` when their
    /// histories are unrelated.
    pub fn merge_base(&self, a: ObjectId, b: ObjectId) -> Result<Option<ObjectId>> {
        match self.git.merge_base(a.git(), b.git()) {
            Ok(id) => Ok(Some(id.into())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `ancestor` is in the history of `commit` (a commit is not
    /// its own descendant).
    pub fn descendant_of(&self, commit: ObjectId, ancestor: ObjectId) -> Result<bool> {
        Ok(self.git.graph_descendant_of(commit.git(), ancestor.git())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::Scratch;

    /// root ← a ← b, root ← c, and m merging b and c.
    fn diamond(s: &Scratch) -> [ObjectId; 5] {
        let root = s.commit(&[], &[("crm.toml", "1")], "a@example.com", 1_000);
        let a = s.commit(&[root], &[("crm.toml", "2")], "a@example.com", 2_000);
        let b = s.commit(&[a], &[("crm.toml", "3")], "a@example.com", 3_000);
        let c = s.commit(&[root], &[("crm.toml", "1"), ("staff/x.toml", "x")], "c@example.com", 4_000);
        let m = s.commit(&[b, c], &[("crm.toml", "3"), ("staff/x.toml", "x")], "m@example.com", 86_000);
        [root, a, b, c, m]
    }

    #[test]
    fn walks_parents_first_and_leaves_out_hidden_history() {
        let s = Scratch::new();
        let [root, a, b, c, m] = diamond(&s);
        let ids = |order, hidden: &[ObjectId]| -> Vec<ObjectId> {
            s.repo.walk(&[m], hidden, order).unwrap().map(|c| c.unwrap().id()).collect()
        };
        let all = ids(Order::ParentsFirst, &[]);
        assert_eq!(all.len(), 5);
        let at = |id| all.iter().position(|x| *x == id).unwrap();
        assert!(at(root) < at(a) && at(a) < at(b) && at(b) < at(m) && at(c) < at(m) && at(root) < at(c));
        let mut unsorted = ids(Order::Unsorted, &[a]);
        unsorted.sort();
        let mut want = vec![b, c, m];
        want.sort();
        assert_eq!(unsorted, want);
    }

    #[test]
    fn ancestry_and_merge_bases() {
        let s = Scratch::new();
        let [root, a, b, c, m] = diamond(&s);
        assert!(s.repo.descendant_of(m, root).unwrap());
        assert!(s.repo.descendant_of(b, a).unwrap());
        assert!(!s.repo.descendant_of(a, b).unwrap());
        assert!(!s.repo.descendant_of(c, a).unwrap());
        assert!(!s.repo.descendant_of(a, a).unwrap());
        assert_eq!(s.repo.merge_base(b, c).unwrap(), Some(root));
        let stranger = s.commit(&[], &[("other", "1")], "z@example.com", 6_000);
        assert_eq!(s.repo.merge_base(stranger, m).unwrap(), None);
    }

    #[test]
    fn commits_show_parents_trees_and_committer() {
        let s = Scratch::new();
        let [root, _, b, c, m] = diamond(&s);
        let merge = s.repo.find_commit(m).unwrap();
        assert_eq!(merge.parents().map(|p| p.id()).collect::<Vec<_>>(), vec![b, c]);
        assert_eq!(merge.first_parent().unwrap().id(), b);
        assert!(s.repo.find_commit(root).unwrap().first_parent().is_err());
        assert_eq!(merge.committer().email(), "m@example.com");
        // 23:53 UTC is the next morning at +08:00.
        assert_eq!(merge.date().to_string(), "1970-01-02");
        let tree = merge.tree().unwrap();
        assert!(tree.blob_id("crm.toml").is_some());
        assert!(tree.blob_id("staff").is_none());
        assert!(tree.entry_id("staff").is_some());
        assert!(tree.entry_id("customers").is_none());
        assert_eq!(tree.blob_id("crm.toml"), s.repo.find_commit(b).unwrap().tree().unwrap().blob_id("crm.toml"));
    }

    #[test]
    fn resolves_revisions_to_commits() {
        let s = Scratch::new();
        let [_, a, b, ..] = diamond(&s);
        s.set_ref("refs/heads/main", b);
        s.repo.git.set_head("refs/heads/main").unwrap();
        assert_eq!(s.repo.resolve("HEAD").unwrap(), b);
        assert_eq!(s.repo.resolve("main~1").unwrap(), a);
        assert_eq!(s.repo.resolve(&a.to_string()).unwrap(), a);
        assert!(matches!(s.repo.resolve("nope"), Err(Error::InvalidValue { .. })));
    }
}
