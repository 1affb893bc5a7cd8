//! Sealing follows the policy in the same commit as the change that moves
//! it: every write passes its file changes through [`reseal_changes`]
//! before committing. Customer files it writes are re-sealed; and when the
//! write changes who may read what (`crm.toml` or `staff/`: a departure,
//! a new manager, a region change, a new recovery key, the seal itself),
//! every customer whose recipients change is re-sealed too. The rings the
//! new seals need are written in the same commit.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::model::{CustomerId, Handle, Staff, StoreConfig};
use crate::seal::record::Resealer;
use crate::seal::ring::Keyring;
use crate::seal::Readers;
use crate::store::layout::{self, CONFIG_FILE};
use crate::store::snapshot::CustomerEntry;
use crate::store::write::Change;
use crate::store::Snapshot;
use crate::{Error, Result};

/// `changes` with every customer file sealed as the policy after them
/// wants, plus the re-sealed files of customers whose readers they change.
/// `config` and `staff` are the store's before the changes.
pub(crate) fn reseal_changes(
    snapshot: &Snapshot<'_>,
    keyring: &Keyring<'_>,
    config: &StoreConfig,
    staff: &BTreeMap<Handle, Staff>,
    mut changes: Vec<Change>,
) -> Result<Vec<Change>> {
    let config_after = match changes.iter().find(|c| c.path == CONFIG_FILE) {
        Some(Change { content: Some(text), .. }) => {
            crate::model::schema::from_toml(CONFIG_FILE, std::str::from_utf8(text).unwrap_or_default())?
        }
        _ => config.clone(),
    };
    let Some(seal) = &config_after.seal else {
        return Ok(changes);
    };
    let staff_after = staff_after(staff, &changes)?;
    let readers = Readers::new(&config_after, seal, &staff_after);
    let resealer = Resealer { cfg: seal, readers: &readers, keyring };
    let replaced: Vec<CustomerEntry> = changes
        .iter()
        .filter_map(|c| {
            let id = customer_id(&c.path)?;
            let oid = snapshot.blob_id(&c.path)?;
            Some(CustomerEntry { path: c.path.clone(), shard: id.shard(), stem: id.to_string(), oid })
        })
        .collect();
    let old: HashMap<String, String> =
        snapshot.map_files(replaced, |e, text| Ok((e.path.clone(), text)))?.into_iter().collect();
    changes.par_iter_mut().try_for_each(|change| -> Result<()> {
        let (Some(id), Some(new)) = (customer_id(&change.path), change.content.as_deref()) else {
            return Ok(());
        };
        let new = std::str::from_utf8(new).unwrap_or_default();
        if let Some(text) = resealer.reseal(&id, &change.path, old.get(&change.path).map(String::as_str), new)? {
            change.content = Some(text.into_bytes());
        }
        Ok(())
    })?;
    let readers_changed = changes.iter().any(|c| c.path == CONFIG_FILE || c.path.starts_with("staff/"));
    if readers_changed {
        let written: std::collections::HashSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        let all = snapshot.readable_customer_entries()?;
        if let Some(bad) = all.skipped.first() {
            let why = "cannot be read, so it cannot be sealed again for who may read it now; fix it first (crm check)";
            return Err(Error::invalid("file", &bad.path, why));
        }
        let others: Vec<_> = all.value.into_iter().filter(|e| !written.contains(e.path.as_str())).collect();
        let more = snapshot.map_files(others, |e, text| {
            let id = CustomerId::parse(&e.stem)?;
            Ok(resealer.reseal(&id, &e.path, Some(&text), &text)?.map(|t| Change::write(e.path.clone(), t)))
        })?;
        changes.extend(more.into_iter().flatten());
    }
    changes.extend(keyring.take_made().into_iter().map(|(path, file)| Change::write(path, file)));
    Ok(changes)
}

/// The customer a path is the file of, if it is one.
fn customer_id(path: &str) -> Option<CustomerId> {
    let stem = path.strip_prefix("customers/")?.split('/').nth(1)?.strip_suffix(".toml")?;
    CustomerId::parse(stem).ok().filter(|id| layout::customer_path(id) == path)
}

/// The staff after `changes`: changed files read again, removed ones gone.
fn staff_after(staff: &BTreeMap<Handle, Staff>, changes: &[Change]) -> Result<BTreeMap<Handle, Staff>> {
    let mut after = staff.clone();
    for change in changes {
        let Some(stem) = change.path.strip_prefix("staff/").and_then(|p| p.strip_suffix(".toml")) else {
            continue;
        };
        let handle = Handle::parse(stem)?;
        match &change.content {
            Some(text) => {
                let mut person: Staff =
                    crate::model::schema::from_toml(&change.path, std::str::from_utf8(text).unwrap_or_default())?;
                person.handle = handle.clone();
                after.insert(handle, person);
            }
            None => {
                after.remove(&handle);
            }
        }
    }
    Ok(after)
}
