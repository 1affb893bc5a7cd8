//! Auditing sealed customers against the policy, with no private key:
//! sealed to exactly the entitled keys and the recovery keys, under a ring
//! that names them, no sealed field in the clear, well-formed ciphertexts.
//! With CI's recovery key, also that every value opens.
//!
//! `crm check` audits every customer of the store, and they share a few
//! thousand sets of readers and rings: an [`Auditor`] works each out once.

use std::collections::{BTreeSet, HashMap};

// The memos are looked up once or twice per customer: a fast hash, seeded
// per process.
use foldhash::fast::RandomState;

use super::envelope::UnwrapError;
use super::field::SealedFields;
use super::policy::{Readers, Target};
use super::ring::{ring_path, Keyring, WrappedKey};
use super::value;
use crate::model::config::SealConfig;
use crate::model::rule_ids::CheckRule;
use crate::model::Customer;

/// One thing wrong with a sealed customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: CheckRule,
    /// The key it is about (`sealed_key`, `contacts[0].phone`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Who a customer is to be sealed to, as its file says it: `sealed_to`,
/// and the readers' key tags as `sealed_key` lists them.
struct Wanted<'r> {
    /// `sealed_to`: handles, then the recovery label.
    to: Vec<&'r str>,
    /// Their keys' stanza tags, ascending, comma-separated.
    tags: String,
}

/// Audits customers of one tree against its sealing policy.
pub struct Auditor<'a> {
    fields: SealedFields,
    readers: &'a Readers,
    keyring: &'a Keyring<'a>,
    /// Whether to open every value (the keyring holds CI's recovery key).
    open: bool,
    /// What customers are to be sealed to, by owner, backup and region
    /// (all [`Readers::target`] depends on).
    wanted: HashMap<Vec<u8>, Wanted<'a>, RandomState>,
    /// Whether each ring is in the tree (`None` when not) and wrapped for
    /// exactly the tags `sealed_key` names, by `RING:TAGS`.
    rings: HashMap<String, Option<bool>, RandomState>,
    /// The key of `wanted` being looked up.
    key: Vec<u8>,
}

impl<'a> Auditor<'a> {
    /// An auditor of customers sealed under `cfg` for `readers`, with the
    /// rings of `keyring`; with `open`, every value is opened with the
    /// keyring's keys.
    pub fn new(cfg: &SealConfig, readers: &'a Readers, keyring: &'a Keyring<'a>, open: bool) -> Auditor<'a> {
        let fields = SealedFields::of(cfg);
        let (wanted, rings, key) = Default::default();
        Auditor { fields, readers, keyring, open, wanted, rings, key }
    }

    /// Everything wrong with the sealing of `c`.
    pub fn audit(&mut self, c: &Customer) -> Vec<Finding> {
        let readers = self.readers;
        let mut out = Vec::new();
        let mut find = |rule, path: &dyn ToString, message: String| {
            out.push(Finding { rule, path: path.to_string(), message });
        };
        let values = self.fields.values(c);
        for (path, v) in &values {
            if !value::is_sealed(v) {
                find(CheckRule::SealClearValue, path, format!("`{path}` is in the clear in a sealed store"));
            } else if !value::is_well_formed(v) {
                find(CheckRule::SealMalformed, path, format!("`{path}` is not a well-formed sealed value"));
            }
        }
        let Some(seal) = &c.seal else {
            return out;
        };
        let Some(wrapped) = WrappedKey::parse(&seal.key) else {
            find(CheckRule::SealMalformed, &"sealed_key", "`sealed_key` is not `v2:RING:TAGS:KEY`".into());
            return out;
        };
        let wanted = self.wanted(c);
        if wrapped.tag_list() != wanted.tags {
            let Recipients { missing, extra } = differences(&wrapped, &readers.target(c), readers);
            if !missing.is_empty() {
                let who = missing.into_iter().collect::<Vec<_>>().join(", ");
                find(
                    CheckRule::SealRecipients,
                    &"sealed_key",
                    format!("not sealed to {who}, whom the policy entitles"),
                );
            }
            if !extra.is_empty() {
                let who = extra.into_iter().collect::<Vec<_>>().join(", ");
                let message = format!("sealed to {who}, whom the policy does not entitle");
                find(CheckRule::SealRecipients, &"sealed_key", message);
            }
        }
        if !seal.to.iter().eq(&wanted.to) {
            let message =
                format!("`sealed_to` is [{}]; the policy wants [{}]", seal.to.join(", "), wanted.to.join(", "));
            find(CheckRule::SealRecipients, &"sealed_to", message);
        }
        let ring = || ring_path(wrapped.ring);
        match self.ring_names(&wrapped) {
            None => {
                let message = format!("its ring {} is missing or not a ring file", ring());
                find(CheckRule::SealMalformed, &"sealed_key", message);
            }
            Some(false) => {
                let message = format!("its ring {} is wrapped for other keys than the ones `sealed_key` names", ring());
                find(CheckRule::SealRecipients, &"sealed_key", message);
            }
            Some(true) => {}
        }
        if self.open {
            match self.keyring.data_key(c.id.as_ref(), &wrapped) {
                Ok(Err(UnwrapError::NotARecipient)) | Err(_) => {
                    let message = format!("the key of its ring {} does not open with the given identity", ring());
                    find(CheckRule::SealUnopenable, &"sealed_key", message);
                }
                Ok(Err(UnwrapError::Malformed)) => {
                    let message = "its data key does not open with its ring's key".into();
                    find(CheckRule::SealUnopenable, &"sealed_key", message);
                }
                Ok(Ok(key)) => {
                    let id = c.id.to_string();
                    for (path, v) in values.iter().filter(|(_, v)| value::is_well_formed(v)) {
                        if let Err(e) = key.open(&id, &path.to_string(), v) {
                            find(CheckRule::SealUnopenable, path, format!("`{path}` {e}"));
                        }
                    }
                }
            }
        }
        out
    }

    /// Who `c` is to be sealed to, worked out once per owner, backup and
    /// region.
    fn wanted(&mut self, c: &Customer) -> &Wanted<'a> {
        self.key.clear();
        for part in [Some(c.owner.as_str()), c.backup.as_deref(), c.region.as_deref()] {
            // Each part marked and its length first, so none can pass for
            // others.
            match part {
                Some(text) => {
                    self.key.push(1);
                    self.key.extend_from_slice(&text.len().to_le_bytes());
                    self.key.extend_from_slice(text.as_bytes());
                }
                None => self.key.push(0),
            }
        }
        if !self.wanted.contains_key(&self.key) {
            let target = self.readers.target(c);
            let tags = target.tags().join(",");
            self.wanted.insert(self.key.clone(), Wanted { to: target.to, tags });
        }
        let wanted = &self.wanted[&self.key];
        debug_assert!(wanted.to == self.readers.target(c).to, "the readers depend on more than the memo's key");
        wanted
    }

    /// Whether the ring of `wrapped` is in the tree and wrapped for exactly
    /// the keys it names; `None` when the tree has no such ring.
    fn ring_names(&mut self, wrapped: &WrappedKey<'_>) -> Option<bool> {
        let ring_and_tags = wrapped.ring_and_tags();
        if let Some(known) = self.rings.get(ring_and_tags) {
            return *known;
        }
        let names = self.keyring.info(wrapped.ring).map(|info| wrapped.names(info.tags.iter().map(String::as_str)));
        self.rings.insert(ring_and_tags.to_string(), names);
        names
    }
}

/// How the keys a sealed customer's data key is wrapped for differ from
/// those the policy wants, by who holds them.
pub struct Recipients {
    /// Entitled, but not among the recipients.
    pub missing: BTreeSet<String>,
    /// Among the recipients, but not entitled.
    pub extra: BTreeSet<String>,
}

/// [`Recipients`] of sealed customer `c`; `None` when it is not sealed or
/// its wrapped key cannot be read.
pub fn recipients(c: &Customer, readers: &Readers) -> Option<Recipients> {
    let wrapped = WrappedKey::parse(&c.seal.as_ref()?.key)?;
    Some(differences(&wrapped, &readers.target(c), readers))
}

/// How the keys `wrapped` names differ from those of `target`, by who
/// holds them.
fn differences(wrapped: &WrappedKey<'_>, target: &Target<'_>, readers: &Readers) -> Recipients {
    let wanted = target.tags();
    if wrapped.names(wanted.iter().copied()) {
        return Recipients { missing: BTreeSet::new(), extra: BTreeSet::new() };
    }
    let tags = wrapped.tag_set();
    let name =
        |tag: &str| readers.owner_of_tag(tag).map_or_else(|| format!("an unknown key (tag {tag})"), str::to_string);
    Recipients {
        missing: wanted.iter().filter(|t| !tags.contains(**t)).map(|t| name(t)).collect(),
        extra: tags.iter().filter(|t| !wanted.contains(&t.as_str())).map(|t| name(t)).collect(),
    }
}
