//! Scratch repositories for the store's unit tests.

use git2::Repository;

use super::{ObjectId, Repo};

/// A repository in a temporary directory (removed on drop), for the
/// store's unit tests.
pub(crate) struct Scratch {
    _dir: tempfile::TempDir,
    pub repo: Repo,
}

impl Scratch {
    /// An empty repository.
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temporary directory");
        let git = Repository::init(dir.path()).expect("git init");
        Scratch { _dir: dir, repo: Repo { git } }
    }

    /// A commit of `files` (path, content; paths one level deep at
    /// most) on `parents`, by `email`, at `time`; not on any branch.
    pub fn commit(&self, parents: &[ObjectId], files: &[(&str, &str)], email: &str, time: i64) -> ObjectId {
        let git = &self.repo.git;
        let mut root = git.treebuilder(None).expect("tree builder");
        let mut dirs: std::collections::BTreeMap<&str, Vec<(&str, &str)>> = Default::default();
        for (path, text) in files {
            match path.split_once('/') {
                Some((dir, name)) => dirs.entry(dir).or_default().push((name, text)),
                None => {
                    let blob = git.blob(text.as_bytes()).expect("blob");
                    root.insert(path, blob, 0o100644).expect("insert");
                }
            }
        }
        for (dir, files) in dirs {
            let mut sub = git.treebuilder(None).expect("tree builder");
            for (name, text) in files {
                sub.insert(name, git.blob(text.as_bytes()).expect("blob"), 0o100644).expect("insert");
            }
            root.insert(dir, sub.write().expect("subtree"), 0o040000).expect("insert");
        }
        let tree = git.find_tree(root.write().expect("tree")).expect("tree");
        let who = git2::Signature::new("Someone", email, &git2::Time::new(time, 480)).expect("signature");
        let parents: Vec<git2::Commit> = parents.iter().map(|p| git.find_commit(p.git()).expect("parent")).collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        git.commit(None, &who, &who, "test", &tree, &parents).expect("commit").into()
    }

    /// Points `name` at `id`.
    pub fn set_ref(&self, name: &str, id: ObjectId) {
        self.repo.git.reference(name, id.git(), true, "test").expect("reference");
    }
}
