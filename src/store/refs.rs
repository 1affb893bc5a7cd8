//! What a repository's refs name, for a server hook judging a ref update
//! (`verify --update`): the branch HEAD names, where a ref points, the
//! commits under some ref namespaces, and whether an id names a commit.

use git2::ObjectType;

use super::{ObjectId, Repo};
use crate::Result;

impl Repo {
    /// The full name of the branch HEAD names (a server's default branch);
    /// `None` when HEAD is detached or unreadable.
    pub fn head_branch(&self) -> Option<String> {
        let head = self.git.find_reference("HEAD").ok()?;
        head.symbolic_target().ok().flatten().map(str::to_string)
    }

    /// The object the ref `name` (a full name) points to, if it exists.
    pub fn ref_target(&self, name: &str) -> Option<ObjectId> {
        self.git.refname_to_id(name).ok().map(ObjectId::from)
    }

    /// The commits named by the refs whose full names start with one of
    /// `prefixes` (tags peeled; refs naming no commit are left out).
    pub fn commits_under(&self, prefixes: &[&str]) -> Result<Vec<ObjectId>> {
        let mut out = Vec::new();
        for reference in self.git.references()? {
            let reference = reference?;
            let name = reference.name().unwrap_or_default();
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            if let Ok(commit) = reference.peel_to_commit() {
                out.push(commit.id().into());
            }
        }
        Ok(out)
    }

    /// The commits the remote-tracking branches named `branch` (a short
    /// name: `refs/remotes/<remote>/<branch>`) point to: what the servers
    /// had of it at the last fetch.
    pub fn remote_tips(&self, branch: &str) -> Result<Vec<ObjectId>> {
        let mut out = Vec::new();
        for reference in self.git.references_glob("refs/remotes/*")? {
            let reference = reference?;
            let name = reference.name().unwrap_or_default();
            let short = name.strip_prefix("refs/remotes/").and_then(|n| n.split_once('/')).map(|(_, b)| b);
            if short == Some(branch) {
                if let Ok(commit) = reference.peel_to_commit() {
                    out.push(commit.id().into());
                }
            }
        }
        Ok(out)
    }

    /// The commit `id` names, peeling annotated tags; `None` when it names
    /// something else, or nothing in the repository.
    pub fn peel_to_commit(&self, id: ObjectId) -> Option<ObjectId> {
        let object = self.git.find_object(id.git(), None).and_then(|o| o.peel(ObjectType::Commit)).ok()?;
        Some(object.id().into())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::scratch::Scratch;
    use crate::store::ObjectId;

    #[test]
    fn reads_head_branch_and_targets() {
        let s = Scratch::new();
        let first = s.commit(&[], &[("crm.toml", "1")], "a@example.com", 1_000);
        s.set_ref("refs/heads/trunk", first);
        s.repo.git.set_head("refs/heads/trunk").unwrap();
        assert_eq!(s.repo.head_branch().as_deref(), Some("refs/heads/trunk"));
        assert_eq!(s.repo.ref_target("refs/heads/trunk"), Some(first));
        assert_eq!(s.repo.ref_target("refs/heads/missing"), None);
        s.repo.git.set_head_detached(first.git()).unwrap();
        assert_eq!(s.repo.head_branch(), None);
    }

    #[test]
    fn lists_commits_under_namespaces_and_peels_tags() {
        let s = Scratch::new();
        let first = s.commit(&[], &[("crm.toml", "1")], "a@example.com", 1_000);
        let second = s.commit(&[first], &[("crm.toml", "2")], "a@example.com", 2_000);
        let note = s.commit(&[], &[("n", "1")], "a@example.com", 3_000);
        s.set_ref("refs/heads/main", second);
        let object = s.repo.git.find_object(first.git(), None).unwrap();
        let who = git2::Signature::new("T", "t@example.com", &git2::Time::new(1_000, 0)).unwrap();
        let tag: ObjectId = s.repo.git.tag("v1", &object, &who, "v1", false).unwrap().into();
        s.set_ref("refs/notes/commits", note);
        let blob: ObjectId = s.repo.git.blob(b"x").unwrap().into();
        s.set_ref("refs/tags/blob", blob);
        let mut found = s.repo.commits_under(&["refs/heads/", "refs/tags/"]).unwrap();
        found.sort();
        let mut want = vec![first, second];
        want.sort();
        assert_eq!(found, want);
        assert_eq!(s.repo.peel_to_commit(tag), Some(first));
        assert_eq!(s.repo.peel_to_commit(second), Some(second));
        assert_eq!(s.repo.peel_to_commit(blob), None);
        assert_eq!(s.repo.peel_to_commit("0123".parse().unwrap()), None);
    }
}
