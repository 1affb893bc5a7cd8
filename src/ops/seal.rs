//! `crm seal`: seal an existing store in one commit, change its recovery
//! keys, or re-seal whatever `crm check` finds sealed wrongly.
//!
//! The op only writes `[seal]` in `crm.toml` (or names the customers to
//! repair); sealing itself is the writer's, which re-seals every customer
//! the change touches in the same commit ([`super::reseal`]).

use serde::Serialize;

use super::{Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::config::SealConfig;
use crate::model::CustomerId;
use crate::seal::audit::Auditor;
use crate::seal::{Readers, Recipient};
use crate::store::layout::{self, CONFIG_FILE};
use crate::store::write::Change;
use crate::store::Store;
use crate::{Error, Result};

/// What to do.
#[derive(Debug, Clone, Default)]
pub struct SealRequest {
    /// Recovery public keys: required to seal an unsealed store; in a
    /// sealed store they replace the current ones.
    pub recovery: Vec<String>,
}

/// What sealing did.
#[derive(Debug, Clone, Serialize)]
pub struct Sealed {
    /// The customers written (sealed, re-sealed or re-wrapped).
    pub customers: usize,
    /// Whether the store was sealed before.
    pub was_sealed: bool,
    /// The commit.
    pub commit: String,
}

/// Seals the store, changes its recovery keys, or repairs its seals.
pub fn run(store: &Store, req: &SealRequest, opts: &WriteOptions) -> Result<Sealed> {
    let w = Writer::start(store, opts)?;
    w.authorize(Action::ChangeSettings)?;
    for key in &req.recovery {
        Recipient::parse(key).map_err(|e| Error::invalid("recovery key", short_key(key), e.0))?;
    }
    let was_sealed = w.config.seal.is_some();
    let mut changes = Vec::new();
    if !req.recovery.is_empty() {
        let src = w.snapshot().text(CONFIG_FILE)?.unwrap_or_default();
        changes.push(Change::write(CONFIG_FILE, with_recovery(&src, &req.recovery)?));
    } else if !was_sealed {
        return Err(Error::Missing("--recovery-key: sealing a store needs at least one recovery key".into()));
    } else {
        changes = needing_repair(&w)?;
        if changes.is_empty() {
            return Err(Error::NothingToDo("every customer is sealed as the policy wants".into()));
        }
    }
    let subject = match (was_sealed, req.recovery.is_empty()) {
        (false, _) => "seal the store".to_string(),
        (true, false) => "seal: new recovery keys".to_string(),
        (true, true) => format!("seal: re-seal {} customers", changes.len()),
    };
    let message = Message { subject, action: "seal", reason: None };
    let (commit, customers) = w.commit_counting(&message, changes)?;
    Ok(Sealed { customers, was_sealed, commit: commit.to_string() })
}

/// `crm.toml` with `[seal] recovery` set to `keys`, everything else kept.
fn with_recovery(src: &str, keys: &[String]) -> Result<String> {
    let mut doc: toml_edit::DocumentMut =
        src.parse().map_err(|_| Error::invalid("file", CONFIG_FILE, "not valid TOML; run `crm check`"))?;
    let seal = doc.entry("seal").or_insert_with(toml_edit::table);
    let table = seal.as_table_mut().ok_or_else(|| Error::invalid("file", CONFIG_FILE, "`seal` must be a table"))?;
    let mut list: toml_edit::Array = keys.iter().map(|k| k.trim()).collect();
    list.set_trailing_comma(false);
    table["recovery"] = toml_edit::value(list);
    let text = doc.to_string();
    crate::model::schema::from_toml::<crate::model::StoreConfig>(CONFIG_FILE, &text)?;
    Ok(text)
}

/// The customer files `crm check` would find sealed wrongly, as they are
/// (the writer re-seals them).
fn needing_repair(w: &Writer<'_>) -> Result<Vec<Change>> {
    let seal: &SealConfig = w.config.seal.as_ref().expect("a sealed store");
    let readers = Readers::new(&w.config, seal, &w.staff);
    let entries = w.snapshot().readable_customer_entries()?.value;
    let keyring = w.keyring()?;
    // An auditor per thread: its memos of readers and rings pay off over
    // the whole store.
    let auditor = || Auditor::new(seal, &readers, keyring, false);
    let found = w.snapshot().map_files_with(entries, auditor, |auditor, e, text| {
        let id = CustomerId::parse(&e.stem)?;
        let customer = crate::model::Customer::parse(&id, &e.path, &text)?;
        let wrong = !auditor.audit(&customer).is_empty();
        Ok(wrong.then(|| Change::write(layout::customer_path(&id), text)))
    })?;
    Ok(found.into_iter().flatten().collect())
}

/// A public key shortened for a message.
fn short_key(key: &str) -> String {
    let key = key.trim();
    if key.chars().count() > 40 {
        format!("{}…", key.chars().take(40).collect::<String>())
    } else {
        key.to_string()
    }
}
