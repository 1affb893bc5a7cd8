//! The store as of one commit, as far as judging needs it (policy, staff,
//! keys), and who acted in a commit judged against such a state.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::Verifier;
use crate::model::rule_ids::VerifyRule;
use crate::model::{Handle, Staff, StoreConfig};
use crate::seal::ring::RINGS_DIR;
use crate::seal::Readers;
use crate::store::graph::{Commit, Tree};
use crate::store::layout::{CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use crate::store::sigcheck::{KeyRing, SigStatus};
use crate::store::{ObjectId, Snapshot};
use crate::Result;

/// The policy, staff and keys of one tree.
pub(super) struct State {
    pub config: StoreConfig,
    pub staff: BTreeMap<Handle, Staff>,
    pub ring: KeyRing,
    /// Who customers are sealed to, in a sealed store.
    pub readers: Option<Readers>,
}

/// A state is known by its crm.toml blob and its staff/ tree.
pub(super) type StateKey = (Option<ObjectId>, Option<ObjectId>);

/// The key of the state in `tree`.
pub(super) fn key(tree: &Tree) -> StateKey {
    (tree.blob_id(CONFIG_FILE), tree.entry_id(STAFF_DIR))
}

/// Whether `path` is one of the store's own files.
pub(super) fn is_store_path(path: &str) -> bool {
    path == CONFIG_FILE || [STAFF_DIR, CUSTOMERS_DIR, RINGS_DIR].iter().any(|dir| path.starts_with(&format!("{dir}/")))
}

/// The actor of a commit, as far as it could be established.
#[derive(Clone)]
pub(super) struct Actor {
    pub handle: String,
    pub person: Option<Staff>,
    pub authenticated: bool,
    pub forge: bool,
}

impl Actor {
    /// Nobody known: the committer's email, unauthenticated.
    pub fn unknown(commit: &Commit) -> Actor {
        let handle = format!("<{}>", commit.committer().email());
        Actor { handle, person: None, authenticated: false, forge: false }
    }
}

impl<'r> Verifier<'r> {
    /// The store in `tree`, or `None` when the tree holds no store.
    pub(super) fn state(&mut self, tree: &Tree<'r>) -> Result<Option<Rc<State>>> {
        let key = key(tree);
        if let Some(s) = self.states.get(&key) {
            return Ok(s.clone());
        }
        let state = if key.0.is_none() {
            None
        } else {
            let snapshot = self.repo.snapshot(tree);
            // A broken crm.toml is judged by the strictest reading of it.
            let config = snapshot.config().unwrap_or_else(|_| StoreConfig {
                seal: None,
                company: crate::model::Company { name: String::new(), currency: String::new() },
                report: Default::default(),
                policy: crate::model::Policy { require_signed: true, ..Default::default() },
                pool: Default::default(),
            });
            let staff = staff_leniently(&snapshot);
            let mut ring = KeyRing::from_staff(&staff);
            ring.add_forge_keys(&config.policy.forge_keys);
            let readers = config.seal.as_ref().map(|seal| Readers::new(&config, seal, &staff));
            Some(Rc::new(State { config, staff, ring, readers }))
        };
        self.states.insert(key, state.clone());
        Ok(state)
    }

    /// Establishes who made `commit` under `state`, reporting signature
    /// problems. `None` when no actor can be trusted.
    pub(super) fn actor(&mut self, commit: &Commit, state: &State) -> Option<Actor> {
        let checked = self.repo.check_signature(commit.id(), &state.ring, &self.gpg);
        let required = state.config.policy.require_signed;
        let unknown = Actor::unknown(commit);
        match checked.status {
            SigStatus::Good if checked.forge => {
                Some(Actor { handle: "forge".into(), person: None, authenticated: true, forge: true })
            }
            SigStatus::Good => {
                let handle = checked.signer?;
                let person = state.staff.get(&handle).cloned();
                let actor = Actor { handle: handle.to_string(), person, authenticated: true, forge: false };
                if actor.person.as_ref().is_some_and(|p| !p.is_active()) {
                    let msg = format!("signed by {handle}, who had departed before this commit");
                    self.violation(commit, &actor, None, VerifyRule::SignerDeparted.id(), msg);
                    return None;
                }
                Some(actor)
            }
            SigStatus::Bad => {
                let msg = "the signature does not match the commit".to_string();
                self.violation(commit, &unknown, None, VerifyRule::BadSignature.id(), msg);
                None
            }
            SigStatus::Revoked => {
                let msg = "signed by a key that is revoked or expired in the keyring".to_string();
                self.violation(commit, &unknown, None, VerifyRule::RevokedKey.id(), msg);
                None
            }
            SigStatus::UnknownKey => {
                let msg = "signed by a key that no staff member lists".to_string();
                self.violation(commit, &unknown, None, VerifyRule::UnknownKey.id(), msg);
                None
            }
            SigStatus::None if required => {
                self.violation(
                    commit,
                    &unknown,
                    None,
                    VerifyRule::Unsigned.id(),
                    "the store requires signed commits".into(),
                );
                None
            }
            SigStatus::None => {
                let email = commit.committer().email().to_string();
                match state.staff.values().find(|s| s.email.eq_ignore_ascii_case(&email)) {
                    Some(s) => Some(Actor {
                        handle: s.handle.to_string(),
                        person: Some(s.clone()),
                        authenticated: false,
                        forge: false,
                    }),
                    None => {
                        let msg = format!("unsigned, and the committer <{email}> is no staff member");
                        self.violation(commit, &unknown, None, VerifyRule::UnknownActor.id(), msg);
                        None
                    }
                }
            }
        }
    }
}

/// Staff of a snapshot, skipping files that cannot be read (a broken staff
/// file grants nothing).
fn staff_leniently(snapshot: &Snapshot<'_>) -> BTreeMap<Handle, Staff> {
    if let Ok(staff) = snapshot.staff() {
        return staff;
    }
    let mut staff = BTreeMap::new();
    let Ok(handles) = snapshot.staff_handles() else { return staff };
    for handle in handles {
        if let Ok(person) = snapshot.person(&handle) {
            staff.insert(handle, person);
        }
    }
    staff
}
