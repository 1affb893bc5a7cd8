//! Sealing applied to one customer: re-sealing a file a write produced,
//! opening a customer for reading, and auditing one against the policy.
//!
//! Writes never deal with sealing themselves: they change the file as in an
//! unsealed store (keeping sealed values as they are, writing new values in
//! the clear), and [`Resealer::reseal`] brings the result in line with the
//! policy before the commit. A value whose text is the same as before keeps
//! its ciphertext; a recipient only added gets the same data key; anyone
//! losing access means a new data key and every value sealed again.

use std::collections::BTreeSet;

use toml_edit::Value;

use super::envelope::UnwrapError;
use super::field::{FieldPath, SealedFields};
use super::policy::Readers;
use super::ring::{Keyring, WrappedKey};
use super::value::{self, DataKey};
use crate::model::config::SealConfig;
use crate::model::document::{string_array, Document};
use crate::model::fastparse;
use crate::model::{Customer, CustomerId};
use crate::{Error, Result};

/// What a value the reader cannot open is shown as.
pub const SEALED: &str = "sealed";

/// The acting user's private keys, loaded when first needed.
pub trait KeySource: Sync {
    /// The keys (none when none is configured), or why the configured key
    /// cannot be used.
    fn identities(&self) -> Result<&[age::ssh::Identity]>;
}

/// Keys already loaded (`--identity`; none for a check without a key).
#[derive(Clone, Copy)]
pub struct KeyList<'a>(pub &'a [age::ssh::Identity]);

impl KeySource for KeyList<'_> {
    fn identities(&self) -> Result<&[age::ssh::Identity]> {
        Ok(self.0)
    }
}

/// The values of `c` that `cfg` seals, by path.
pub fn sealed_values<'c>(c: &'c Customer, cfg: &SealConfig) -> Vec<(FieldPath, &'c str)> {
    SealedFields::of(cfg).values(c)
}

/// Empties every sealed value of `c` (whatever the fields sealed): what
/// caches built from raw files keep of a sealed customer.
pub fn blank(c: &mut Customer) {
    let every = SealConfig::every_field();
    let sealed: Vec<FieldPath> =
        sealed_values(c, &every).into_iter().filter(|(_, v)| value::is_sealed(v)).map(|(p, _)| p).collect();
    for path in sealed {
        if let Some(slot) = path.slot(c) {
            slot.clear();
        }
    }
}

/// How far a customer could be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Openness {
    /// Not sealed: nothing to open.
    Clear,
    /// Every sealed value opened.
    Opened,
    /// The reader is not a recipient (or a value did not open): those
    /// values now read [`SEALED`].
    Sealed,
}

/// The data key of customer `id` sealed as `sealed_key`, if the acting
/// user's key opens it.
fn data_key(id: &str, sealed_key: &str, keyring: &Keyring<'_>) -> Option<DataKey> {
    keyring.data_key(id, &WrappedKey::parse(sealed_key)?).ok()?.ok()
}

/// Opens the sealed values of `c` in place with the acting user's key;
/// what cannot be opened reads [`SEALED`].
pub fn open(c: &mut Customer, cfg: &SealConfig, keyring: &Keyring<'_>) -> Openness {
    let Some(seal) = &c.seal else {
        return Openness::Clear;
    };
    let id = c.id.to_string();
    let key = data_key(&id, &seal.key, keyring);
    let mut all = key.is_some();
    let opened: Vec<(FieldPath, String)> = sealed_values(c, cfg)
        .into_iter()
        .filter(|(_, v)| value::is_sealed(v))
        .map(|(path, v)| {
            let plain = key.as_ref().and_then(|k| k.open(&id, &path.to_string(), v).ok());
            all &= plain.is_some();
            (path, plain.unwrap_or_else(|| SEALED.to_string()))
        })
        .collect();
    for (path, plain) in opened {
        if let Some(slot) = path.slot(c) {
            *slot = plain;
        }
    }
    if all {
        Openness::Opened
    } else {
        Openness::Sealed
    }
}

/// The text of customer file `text` with every sealed value opened (and
/// its seal kept): what a merge of two sealed versions compares. `None`
/// when the acting user's key cannot open it.
pub fn open_text(id: &CustomerId, path: &str, text: &str, keyring: &Keyring<'_>) -> Option<String> {
    let customer = Customer::parse(id, path, text).ok()?;
    let Some(seal) = &customer.seal else {
        return Some(text.to_string());
    };
    let name = id.to_string();
    let key = data_key(&name, &seal.key, keyring)?;
    let mut doc = Document::parse(path, text).ok()?;
    let mut all = true;
    doc.strings_mut(|p, v| {
        let Some(sealed) = v.as_str().filter(|s| value::is_sealed(s)) else { return };
        match key.open(&name, p, sealed) {
            Ok(plain) => {
                let decor = v.decor().clone();
                *v = Value::from(plain);
                *v.decor_mut() = decor;
            }
            Err(_) => all = false,
        }
    });
    all.then(|| doc.to_string())
}

/// Brings written customer files in line with the sealing policy.
pub struct Resealer<'a> {
    /// `[seal]` of the store after the write.
    pub cfg: &'a SealConfig,
    /// Staff and recovery keys after the write.
    pub readers: &'a Readers,
    /// The rings, opened with the acting user's keys; new rings the write
    /// needs are made here.
    pub keyring: &'a Keyring<'a>,
}

impl Resealer<'_> {
    /// The text of customer file `path` sealed as the policy wants, or
    /// `None` when `new` already is. `old` is the version it replaces: a
    /// value written in the clear whose text is unchanged keeps the
    /// ciphertext it had. Fails when the data key is needed and the acting
    /// user cannot open it.
    pub fn reseal(&self, id: &CustomerId, path: &str, old: Option<&str>, new: &str) -> Result<Option<String>> {
        // A file in the fast reader's shape can be edited as text.
        let (customer, plain) = match fastparse::customer(id, new) {
            Some(c) => (c, true),
            None => (Customer::parse(id, path, new)?, false),
        };
        let target = self.readers.target(&customer);
        let values = sealed_values(&customer, self.cfg);
        let in_clear = values.iter().any(|(_, v)| !value::is_sealed(v));
        let current = customer.seal.as_ref();
        let sealed_err = |why: &str| Error::Sealed { id: id.to_string(), why: why.to_string() };
        let current_key = match current {
            Some(seal) => {
                Some(WrappedKey::parse(&seal.key).ok_or_else(|| sealed_err("its sealed_key is not a wrapped key"))?)
            }
            None => None,
        };
        let current_tags = current_key.as_ref().map(WrappedKey::tag_set);
        let wanted: BTreeSet<String> = target.tags().into_iter().map(str::to_string).collect();
        // A ring whose file does not name the readers `sealed_key` claims
        // (or is missing) counts as someone losing access: whoever it
        // really opens for may hold the data key.
        let ring_wrong = current_key.as_ref().is_some_and(|k| !self.keyring.names(k));
        let lost = ring_wrong || current_tags.as_ref().is_some_and(|tags| !tags.is_subset(&wanted));
        let rewrap = current.is_none_or(|s| s.to != target.to) || current_tags.as_ref() != Some(&wanted) || ring_wrong;
        if !lost && !rewrap && !in_clear {
            return Ok(None);
        }
        if current.is_none() && values.iter().any(|(_, v)| value::is_sealed(v)) {
            return Err(sealed_err("has sealed values but no sealed_key to open them with"));
        }
        let old_key = match &current_key {
            Some(wrapped) => Some(self.data_key(id, wrapped)?),
            None => None,
        };
        let rotating = lost && old_key.is_some();
        let key = match (&old_key, lost) {
            (Some(k), false) => k.clone(),
            _ => DataKey::generate(),
        };
        let name = id.to_string();
        let seal_keys = match rewrap || rotating {
            true => Some((
                string_array(&target.to),
                WrappedKey::seal(&name, &key, &self.keyring.ring_for(&wanted, &target.recipients)?),
            )),
            false => None,
        };
        if plain && !in_clear {
            let rotation = old_key.as_ref().filter(|_| rotating).map(|old| (old, &key));
            let edited = sealed_as_text(new, &name, &values, rotation, seal_keys.as_ref());
            if let Some(text) =
                edited.map_err(|p| sealed_err(&format!("its value `{p}` does not open with its data key")))?
            {
                return Ok(Some(text));
            }
        }
        // A value written in the clear that was there before keeps its
        // ciphertext (not across a rotation: every value is sealed again).
        let before = old.filter(|_| !rotating).and_then(|text| Customer::parse(id, path, text).ok());
        let before_values = before.as_ref().map(|b| sealed_values(b, self.cfg)).unwrap_or_default();
        let mut doc = Document::parse(path, new)?;
        let mut failure = None;
        doc.strings_mut(|p, v| {
            let Some(text) = v.as_str().filter(|_| self.cfg.seals(p)) else {
                return;
            };
            let sealed = if value::is_sealed(text) {
                if !rotating {
                    return;
                }
                match old_key.as_ref().map(|k| k.open(&name, p, text)) {
                    Some(Ok(plain)) => key.seal(&name, p, &plain),
                    _ => {
                        failure.get_or_insert_with(|| format!("its value `{p}` does not open with its data key"));
                        return;
                    }
                }
            } else {
                let unchanged = |(bp, c): &&(FieldPath, &str)| {
                    bp.to_string() == p
                        && old_key.as_ref().and_then(|k| k.open(&name, p, c).ok()).as_deref() == Some(text)
                };
                match before_values.iter().find(unchanged) {
                    Some((_, c)) => c.to_string(),
                    None => key.seal(&name, p, text),
                }
            };
            let decor = v.decor().clone();
            *v = Value::from(sealed);
            *v.decor_mut() = decor;
        });
        if let Some(why) = failure {
            return Err(sealed_err(&why));
        }
        if let Some((to, sealed_key)) = seal_keys {
            doc.set("sealed_to", to);
            doc.set("sealed_key", sealed_key);
        }
        Ok(Some(doc.to_string()))
    }

    fn data_key(&self, id: &CustomerId, wrapped: &WrappedKey) -> Result<DataKey> {
        if self.keyring.keys().identities()?.is_empty() {
            return Err(Error::Sealed {
                id: id.to_string(),
                why: "no private key is configured to open it (CRM_IDENTITY or `git config crm.identity`)".into(),
            });
        }
        self.keyring.data_key(id.as_ref(), wrapped)?.map_err(|e| Error::Sealed {
            id: id.to_string(),
            why: match e {
                UnwrapError::NotARecipient => {
                    "your key is not among its recipients, so it cannot be sealed again for this change".into()
                }
                UnwrapError::Malformed => {
                    "its sealed_key and its ring file do not hold a data key (crm check names what is wrong)".into()
                }
            },
        })
    }
}

/// Customer file `src` (in the fast reader's shape, every value of
/// `values` sealed) with those values sealed again from the first key of
/// `rotation` to the second, and `sealed_to` and `sealed_key` set to
/// `seal_keys`, edited as text: each ciphertext is unique, so replacing it
/// is exact. `Ok(None)` where the full editor must do it (a ciphertext
/// found twice, a file the text editor leaves alone); `Err(path)` when the
/// value at `path` does not open.
fn sealed_as_text(
    src: &str,
    customer: &str,
    values: &[(FieldPath, &str)],
    rotation: Option<(&DataKey, &DataKey)>,
    seal_keys: Option<&(toml_edit::Array, String)>,
) -> std::result::Result<Option<String>, String> {
    let mut edits = Vec::new();
    for (path, sealed) in values {
        let Some((old, new)) = rotation else { break };
        let path = path.to_string();
        let plain = old.open(customer, &path, sealed).map_err(|_| path.clone())?;
        let Some(at) = once_quoted(src, sealed) else { return Ok(None) };
        edits.push((at, sealed.len(), new.seal(customer, &path, &plain)));
    }
    // Written in one pass, in file order.
    edits.sort_unstable_by_key(|(at, _, _)| *at);
    let mut text = String::with_capacity(src.len());
    let mut done = 0;
    for (at, len, sealed) in edits {
        // Two values found overlapping: not values written as crm writes them.
        let Some(before) = src.get(done..at) else { return Ok(None) };
        text.push_str(before);
        text.push_str(&sealed);
        done = at + len;
    }
    text.push_str(&src[done..]);
    let Some((to, sealed_key)) = seal_keys else { return Ok(Some(text)) };
    let to = Value::from(to.clone()).to_string();
    let key = Value::from(sealed_key.as_str()).to_string();
    Ok(fastparse::edit_root(&text, &[("sealed_to", Some(to.trim())), ("sealed_key", Some(key.trim()))]))
}

/// Where ciphertext `sealed` is in file `src`, when it is there exactly
/// once and as a basic string: then that is the value it was read from
/// (not a comment, not inside another string, not a literal string). Each
/// found by the memchr crate's substring search: a rotation looks up every
/// value of thousands of files.
fn once_quoted(src: &str, sealed: &str) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(sealed);
    let at = finder.find(src.as_bytes())?;
    let again = finder.find(&src.as_bytes()[at + 1..]).is_some();
    let quoted = src[..at].ends_with('"') && src[at + sealed.len()..].starts_with('"');
    (!again && quoted).then_some(at)
}

/// The readers' stanza tags `sealed_key` names.
fn stanza_tags(sealed_key: &str) -> Option<BTreeSet<String>> {
    Some(WrappedKey::parse(sealed_key)?.tag_set())
}

/// Whether going from `old` to `new` takes a key off the recipients
/// (someone lost access): then the data key must be new, and no sealed
/// value may be kept as it was.
pub fn loses_recipients(old: &Customer, new: &Customer) -> bool {
    let tags = |c: &Customer| c.seal.as_ref().and_then(|s| stanza_tags(&s.key));
    match (tags(old), tags(new)) {
        (Some(before), Some(after)) => !before.is_subset(&after),
        (Some(_), None) => true,
        _ => false,
    }
}

/// Whether the acting user's key opens the data keys of `old` and `new`
/// and they are the same key (a rotation that is none).
pub fn same_data_key(old: &Customer, new: &Customer, keyring: &Keyring<'_>) -> bool {
    let key = |c: &Customer| data_key(c.id.as_ref(), &c.seal.as_ref()?.key, keyring);
    matches!((key(old), key(new)), (Some(a), Some(b)) if a.as_bytes() == b.as_bytes())
}

/// The sealed values `new` keeps exactly as `old` had them (same path,
/// same ciphertext): after [`loses_recipients`], each is still open to
/// whoever lost access.
pub fn kept_ciphertexts(old: &Customer, new: &Customer, cfg: &SealConfig) -> Vec<String> {
    let before = sealed_values(old, cfg);
    sealed_values(new, cfg)
        .into_iter()
        .filter(|(p, v)| value::is_sealed(v) && before.iter().any(|(bp, bv)| bp == p && bv == v))
        .map(|(p, _)| p.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::once_quoted;

    #[test]
    fn a_ciphertext_is_edited_only_where_it_is_the_one_basic_string_holding_it() {
        assert_eq!(once_quoted("a = \"sealed:v1:X\"\n", "sealed:v1:X"), Some(5));
        assert_eq!(once_quoted("a = 'sealed:v1:X'\n", "sealed:v1:X"), None, "a literal string");
        assert_eq!(once_quoted("a = \"sealed:v1:X\" # \"sealed:v1:X\"\n", "sealed:v1:X"), None, "twice");
        assert_eq!(once_quoted("a = \"sealed:v1:XY\"\n", "sealed:v1:X"), None, "inside another value");
        assert_eq!(once_quoted("a = \"other\"\n", "sealed:v1:X"), None, "absent");
    }
}
