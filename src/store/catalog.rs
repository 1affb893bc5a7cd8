//! A cache of what commands look up across every customer — the keys of
//! duplicate detection (normalised name, emails, phones) and who owns it
//! where — kept in `.git/crm/catalog` and brought up to date from the tree
//! it was built at by comparing trees, so `crm add` or `crm reassign --from`
//! in a store of 100,000 customers does not read them all.
//!
//! The cache is never needed for correctness: a missing, stale or damaged
//! file is rebuilt from the trees, and deleting it changes no output.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::PathBuf;

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::layout::{toml_stem, CUSTOMERS_DIR};
use super::{treediff, Snapshot};
use crate::model::dedupe::{self, DupIndex, DupKeys, Duplicate};
use crate::model::{Customer, CustomerId};
use crate::Result;

const HEADER: &str = "crm catalog v3";

/// What the catalog knows of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The blob it was read from.
    pub blob: Oid,
    /// Duplicate-detection keys.
    pub keys: DupKeys,
    /// Owner handle.
    pub owner: String,
    /// Region ("" when none).
    pub region: String,
    /// Tier.
    pub tier: String,
    /// Whether the file could be read (an unreadable one has empty fields).
    pub readable: bool,
}

/// Every customer's keys and placement.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The `customers/` tree this catalog describes.
    tree: Option<Oid>,
    /// id → entry.
    entries: BTreeMap<String, Entry>,
}

impl Catalog {
    /// The catalog for `snapshot`, from the cache when it can be brought up
    /// to date, else built from the tree; the cache is refreshed.
    pub fn load(snapshot: &Snapshot<'_>) -> Result<Catalog> {
        let repo = snapshot.repo();
        let current = snapshot.subtree(CUSTOMERS_DIR)?.map(|t| t.id());
        let path = cache_path(repo);
        let cached = fs::read_to_string(&path).ok().and_then(|text| parse(&text));
        // A few changed files are cheap to bring up to date again next
        // time; rewriting the whole file for them is not.
        const WORTH_SAVING: usize = 64;
        let (mut catalog, changed) = match cached {
            Some(c) if c.tree == current => return Ok(c),
            Some(mut c) => match c.update(repo, snapshot, current) {
                Ok(n) => (c, n),
                Err(_) => (build(snapshot)?, usize::MAX),
            },
            None => (build(snapshot)?, usize::MAX),
        };
        if changed >= WORTH_SAVING {
            catalog.tree = current;
            let _ = catalog.save(&path);
        }
        catalog.tree = current;
        Ok(catalog)
    }

    /// The first customer other than `except` sharing a key with `keys`.
    pub fn find_duplicate(&self, keys: &DupKeys, except: &str) -> Option<Duplicate> {
        let hit = |by: &'static str, value: &String| Some(Duplicate { id: String::new(), by, value: value.clone() });
        for (id, e) in self.entries.iter().filter(|(id, e)| e.readable && id.as_str() != except) {
            let found = if !keys.name.is_empty() && e.keys.name == keys.name {
                hit("name", &keys.name)
            } else if let Some(m) = keys.emails.iter().find(|m| e.keys.emails.contains(m)) {
                hit("email", m)
            } else if let Some(p) = keys.phones.iter().find(|p| e.keys.phones.contains(p)) {
                hit("phone", p)
            } else {
                None
            };
            if let Some(d) = found {
                return Some(Duplicate { id: id.clone(), ..d });
            }
        }
        None
    }

    /// An index of the keys, to look candidates up in.
    pub fn index(&self) -> DupIndex {
        let mut index = DupIndex::default();
        for (id, e) in &self.entries {
            index.insert(id, &e.keys);
        }
        index
    }

    /// Every customer, by id.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter()
    }

    /// Brings the catalog from its tree to `current`; returns how many
    /// files changed.
    fn update(&mut self, repo: &Repository, snapshot: &Snapshot<'_>, current: Option<Oid>) -> Result<usize> {
        let old = self.tree.map(|id| repo.find_tree(id)).transpose()?;
        let new = current.map(|id| repo.find_tree(id)).transpose()?;
        let changes = treediff::diff(repo, old.as_ref(), new.as_ref(), "")?;
        let changed = changes.len();
        for change in changes {
            let Some(stem) = change.path.rsplit('/').next().and_then(toml_stem) else { continue };
            self.entries.remove(stem);
            if let Some(blob) = change.new {
                self.entries.insert(stem.to_string(), entry_of(snapshot, stem, blob.id));
            }
        }
        Ok(changed)
    }

    fn save(&self, path: &PathBuf) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(path);
        fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let tree = self.tree.map_or_else(|| Oid::zero().to_string(), |t| t.to_string());
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        writeln!(out, "{HEADER} {tree}")?;
        for (id, e) in &self.entries {
            let k = &e.keys;
            let (emails, phones) = (k.emails.join(","), k.phones.join(","));
            let ok = if e.readable { "ok" } else { "bad" };
            writeln!(
                out,
                "{id}\t{}\t{}\t{emails}\t{phones}\t{}\t{}\t{}\t{ok}",
                e.blob, k.name, e.owner, e.region, e.tier
            )?;
        }
        out.flush()?;
        drop(out);
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn cache_path(repo: &Repository) -> PathBuf {
    repo.path().join("crm").join("catalog")
}

fn parse(text: &str) -> Option<Catalog> {
    let mut lines = text.lines();
    let tree = lines.next()?.strip_prefix(HEADER)?.trim();
    let tree = Oid::from_str(tree).ok().filter(|t| !t.is_zero());
    let mut entries = BTreeMap::new();
    for line in lines {
        let mut f = line.split('\t');
        let (id, blob, name, emails, phones) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
        let (owner, region, tier, ok) = (f.next()?, f.next()?, f.next()?, f.next()?);
        let list = |s: &str| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect();
        let keys = DupKeys { name: name.to_string(), emails: list(emails), phones: list(phones) };
        let blob = Oid::from_str(blob).ok()?;
        let readable = ok == "ok";
        let entry = Entry { blob, keys, owner: owner.into(), region: region.into(), tier: tier.into(), readable };
        entries.insert(id.to_string(), entry);
    }
    Some(Catalog { tree, entries })
}

fn build(snapshot: &Snapshot<'_>) -> Result<Catalog> {
    let files = snapshot.customer_entries()?;
    let workdir = snapshot.repo().workdir().map(std::path::Path::to_path_buf);
    let git_dir = snapshot.repo().path().to_path_buf();
    let entries = files
        .into_par_iter()
        .map_init(
            || Repository::open(&git_dir).ok(),
            |repo, e| {
                // The work tree's copy when it is the same blob: much cheaper
                // than unpacking deltified objects.
                let text = workdir.as_deref().and_then(|w| super::snapshot::same_on_disk(w, &e.path, e.oid));
                let bytes = match (text, repo.as_ref()) {
                    (Some(t), _) => Some(t.into_bytes()),
                    (None, Some(r)) => r.find_blob(e.oid).ok().map(|b| b.content().to_vec()),
                    (None, None) => None,
                };
                let entry = match bytes {
                    Some(b) => entry_from_bytes(&e.stem, e.oid, &b),
                    None => unreadable(e.oid),
                };
                (e.stem, entry)
            },
        )
        .collect();
    Ok(Catalog { tree: None, entries })
}

fn entry_of(snapshot: &Snapshot<'_>, stem: &str, blob: Oid) -> Entry {
    match snapshot.text_of(stem, blob) {
        Ok(text) => entry_from_bytes(stem, blob, text.as_bytes()),
        Err(_) => unreadable(blob),
    }
}

fn unreadable(blob: Oid) -> Entry {
    Entry {
        blob,
        keys: DupKeys::default(),
        owner: String::new(),
        region: String::new(),
        tier: String::new(),
        readable: false,
    }
}

/// A catalog entry for a customer file; fields that could break the line
/// format (tabs, line breaks) are left out of it.
fn entry_from_bytes(stem: &str, blob: Oid, bytes: &[u8]) -> Entry {
    let parsed =
        CustomerId::parse(stem).ok().and_then(|id| Customer::parse(&id, stem, std::str::from_utf8(bytes).ok()?).ok());
    let Some(c) = parsed else { return unreadable(blob) };
    let clean = |s: &str| s.chars().filter(|ch| !ch.is_control()).collect::<String>();
    let mut keys = dedupe::keys(&c.name, &c.contacts);
    keys.name = clean(&keys.name);
    keys.emails = keys.emails.iter().map(|e| clean(e).replace(',', "")).collect();
    let region = clean(&c.region.unwrap_or_default());
    Entry { blob, keys, owner: clean(&c.owner), region, tier: clean(&c.tier), readable: true }
}
