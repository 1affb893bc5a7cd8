//! `crm export`: every customer with owner and contacts, as CSV for
//! spreadsheets (formula-safe, optionally with the BOM Excel wants) or as
//! JSON. The CSV carries every field, so importing it into an empty store
//! gives the same files back.

use csv::{Terminator, WriterBuilder};

use super::unseal::Opener;
use crate::model::sheet::{self, EXPORT_COLUMNS};
use crate::model::Customer;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Which customers to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only this owner's.
    pub owner: Option<String>,
    /// Only this region's.
    pub region: Option<String>,
}

/// The selected customers, by id, opened as far as the acting user's key
/// allows, and the files that cannot be read.
pub fn customers(store: &Store, filter: &ExportFilter) -> Result<Exported> {
    let head = store.head()?;
    let mut all = head.readable_customers()?;
    all.value.retain(|c| {
        filter.owner.as_ref().is_none_or(|o| *o == c.owner)
            && filter.region.as_ref().is_none_or(|r| c.region.as_ref() == Some(r))
    });
    let sealed = Opener::new(store, &head.config()?)?.open_all(&mut all.value);
    Ok(Exported { customers: all, sealed })
}

/// What an export holds.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The customers, and the files that cannot be read.
    pub customers: Readable<Vec<Customer>>,
    /// How many customers kept sealed values (shown as `sealed`): the
    /// acting user is not among their recipients.
    pub sealed: usize,
}

/// CSV text of `customers`: a header, one row each, every cell made safe
/// against formula injection. `excel` adds a UTF-8 BOM and CRLF line ends.
pub fn csv(customers: &[Customer], excel: bool) -> String {
    let mut w = WriterBuilder::new()
        .terminator(if excel { Terminator::CRLF } else { Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    let _ = w.write_record(EXPORT_COLUMNS);
    for c in customers {
        let _ = w.write_record(sheet::to_row(c).iter().map(|cell| sheet::neutralize(cell)));
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    if excel {
        format!("\u{feff}{body}")
    } else {
        body
    }
}
