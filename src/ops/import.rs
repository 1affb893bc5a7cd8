//! `crm import csv`: customers from a spreadsheet export, all rows checked
//! first (every bad row reported), then written as one commit or not at
//! all. Re-importing the same file changes nothing; `--update` changes
//! existing customers (matched by id) instead of refusing them.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::{active_person, Message, WriteOptions, Writer};
use crate::error::RowError;
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::dedupe::{self, DupIndex};
use crate::model::document::{contact_table, customer_toml, string_array, touch_table, Document};
use crate::model::pool::POOL;
use crate::model::search;
use crate::model::sheet::{self, Field};
use crate::model::validity;
use crate::model::{Contact, Customer, CustomerId, Handle, Policy, Staff};
use crate::store::catalog::Catalog;
use crate::store::layout;
use crate::store::write::Change;
use crate::store::Store;
use crate::{Error, Result};

/// How the file's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 (a BOM is dropped).
    Utf8,
    /// GBK, as Excel on Chinese Windows writes.
    Gbk,
    /// UTF-8 when the bytes are valid UTF-8 (or start with a BOM), else GBK.
    #[default]
    Auto,
}

/// A CSV file read into rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Header cells.
    pub headers: Vec<String>,
    /// Data rows (row 2 onwards).
    pub rows: Vec<Vec<String>>,
}

/// Decodes and parses CSV bytes.
pub fn read_csv(bytes: &[u8], encoding: Encoding) -> Result<Sheet> {
    let text = decode(bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let bad = |e: csv::Error| Error::invalid("CSV file", "", e.to_string());
    let headers: Vec<String> = match records.next() {
        Some(r) => r.map_err(bad)?.iter().map(|h| h.trim().to_string()).collect(),
        None => return Err(Error::invalid("CSV file", "", "it is empty")),
    };
    let rows = records
        .map(|r| r.map(|rec| rec.iter().map(str::to_string).collect()).map_err(bad))
        .collect::<Result<Vec<Vec<String>>>>()?;
    Ok(Sheet { headers, rows: rows.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect() })
}

fn decode(bytes: &[u8], encoding: Encoding) -> Result<String> {
    let utf8 = |b: &[u8]| -> Result<String> {
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        String::from_utf8(b.to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            Error::invalid("CSV file", "", format!("not UTF-8 at byte {at}; try --encoding gbk"))
        })
    };
    let gbk = |b: &[u8]| -> Result<String> {
        let (text, _, had_errors) = encoding_rs::GBK.decode(b);
        if had_errors {
            return Err(Error::invalid("CSV file", "", "not valid GBK either; save it as UTF-8 CSV"));
        }
        Ok(text.into_owned())
    };
    match encoding {
        Encoding::Utf8 => utf8(bytes),
        Encoding::Gbk => gbk(bytes),
        Encoding::Auto if bytes.starts_with(b"\xEF\xBB\xBF") || std::str::from_utf8(bytes).is_ok() => utf8(bytes),
        Encoding::Auto => gbk(bytes),
    }
}

/// What to import and how.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The rows.
    pub sheet: Option<Sheet>,
    /// Where they come from (for the commit message).
    pub source: String,
    /// `--map COLUMN=FIELD` overrides.
    pub map: Vec<(String, String)>,
    /// Owner of every row (`--owner`).
    pub owner: Option<String>,
    /// Column holding the owner (`--owner-column`).
    pub owner_column: Option<String>,
    /// Update existing customers instead of refusing them.
    pub update: bool,
    /// Import rows that look like existing customers anyway.
    pub force: bool,
    /// Today, for the pool's rules (none: verify judges them alone).
    pub today: Option<Date>,
}

/// What happens to one row.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRow {
    /// Row number (header = 1).
    pub row: usize,
    /// add, update or unchanged.
    pub action: &'static str,
    /// Customer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
}

/// What `import` did (or, dry, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// Every row's fate.
    pub rows: Vec<PlannedRow>,
    /// Rows added.
    pub added: usize,
    /// Rows that updated a customer.
    pub updated: usize,
    /// Rows that matched a customer exactly.
    pub unchanged: usize,
    /// Columns not imported.
    pub ignored_columns: Vec<String>,
    /// The commit; `None` for a dry run or when nothing changed.
    pub commit: Option<String>,
}

/// Imports (or with `dry_run`, plans) `req`; `progress` hears of every row.
pub fn run(
    store: &Store,
    req: &ImportRequest,
    opts: &WriteOptions,
    dry_run: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportOutcome> {
    let w = Writer::start(store, opts)?;
    let sheet = req.sheet.as_ref().ok_or_else(|| Error::Missing("rows to import".into()))?;
    let columns = columns(sheet, req)?;
    let catalog = Catalog::load(w.snapshot())?;
    let mut planner = Planner {
        w: &w,
        catalog: &catalog,
        names: OnceCell::new(),
        index: catalog.index(),
        seen_ids: HashMap::new(),
        file: DupIndex::default(),
        day: req.today.map(|t| super::pool::day_of(opts, t)),
    };
    // Each row on its own, on all cores; then, in order, what depends on
    // the rows before it (duplicates, ids taken).
    let pooled: HashSet<&str> =
        catalog.par_entries(|line| line.contains(POOL)).into_iter().filter(|e| e.owner == POOL).map(|e| e.id).collect();
    let reader = RowReader { policy: &w.config.policy, staff: &w.staff, pooled: &pooled };
    let read: Vec<ReadRow> =
        sheet.rows.par_iter().enumerate().map(|(i, cells)| reader.read(i + 2, cells, &columns, req)).collect();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut changes = Vec::new();
    for (i, read) in read.into_iter().enumerate() {
        let row = i + 2;
        progress(i + 1);
        match planner.row(row, read, &columns, req) {
            Ok((planned, change)) => {
                rows.push(planned);
                changes.extend(change);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
    let (added, updated, unchanged) = (count("add"), count("update"), count("unchanged"));
    let ignored_columns =
        columns.iter().zip(&sheet.headers).filter(|(f, _)| **f == Field::Ignore).map(|(_, h)| h.clone()).collect();
    let mut outcome = ImportOutcome { rows, added, updated, unchanged, ignored_columns, commit: None };
    if dry_run || changes.is_empty() {
        return Ok(outcome);
    }
    let changes: Vec<Change> = changes.into_par_iter().map(Write::into_change).collect();
    let subject = match (added, updated) {
        (a, 0) => format!("import {a} customers from {}", req.source),
        (0, u) => format!("import: update {u} customers from {}", req.source),
        (a, u) => format!("import {a} customers, update {u}, from {}", req.source),
    };
    let message = Message { subject, action: "import", reason: None };
    outcome.commit = Some(w.commit(&message, changes)?.to_string());
    Ok(outcome)
}

/// The field of every column.
fn columns(sheet: &Sheet, req: &ImportRequest) -> Result<Vec<Field>> {
    let mut fields: Vec<Field> = sheet.headers.iter().map(|h| Field::from_header(h).unwrap_or(Field::Ignore)).collect();
    let position = |name: &str| {
        sheet.headers.iter().position(|h| h.trim() == name.trim()).ok_or_else(|| {
            Error::invalid(
                "column",
                name,
                format!("the file has no such column; its columns: {}", sheet.headers.join(", ")),
            )
        })
    };
    for (column, field) in &req.map {
        let f = Field::from_name(field)
            .ok_or_else(|| Error::invalid("field", field, format!("known fields: {}", Field::names().join(", "))))?;
        fields[position(column)?] = f;
    }
    if let Some(c) = &req.owner_column {
        fields[position(c)?] = Field::Owner;
    }
    if !fields.contains(&Field::Name) {
        return Err(Error::Missing("a column of customer names (map one with --map COLUMN=name)".into()));
    }
    if req.owner.is_none() && !fields.contains(&Field::Owner) {
        return Err(Error::Missing("owners: give --owner HANDLE or --owner-column COLUMN".into()));
    }
    Ok(fields)
}

/// A file an import writes: a new customer (its text is made later, on all
/// cores) or an updated file's text.
enum Write {
    New(Box<Customer>),
    Text(Change),
}

impl Write {
    fn into_change(self) -> Change {
        match self {
            Write::New(c) => Change::write(layout::customer_path(&c.id), customer_toml(&c)),
            Write::Text(change) => change,
        }
    }
}

struct Planner<'a, 's> {
    w: &'a Writer<'s>,
    catalog: &'a Catalog,
    /// Customers already in the store by name (as the catalog keeps
    /// names) → their ids; made when first needed.
    names: OnceCell<HashMap<&'a str, Vec<&'a str>>>,
    /// Customers already in the store.
    index: DupIndex,
    /// Ids taken by earlier rows → their row.
    seen_ids: HashMap<String, usize>,
    /// Earlier rows' keys (ids are row numbers).
    file: DupIndex,
    /// The day the pool's rules judge the import by.
    day: Option<Date>,
}

/// The fields a row gives, as a customer plus which fields were present.
struct Incoming {
    customer: Customer,
    given: Vec<Field>,
    id_given: bool,
}

/// A row read on its own: the customer it gives (an id derived from the
/// name is not yet checked against earlier rows), or its errors.
type ReadRow = (Option<Incoming>, Vec<RowError>);

/// What reading a row on its own needs: shareable across threads.
struct RowReader<'a> {
    policy: &'a Policy,
    staff: &'a BTreeMap<Handle, Staff>,
    /// The ids of the pooled customers: their rows (an export's) name the
    /// pool as owner.
    pooled: &'a HashSet<&'a str>,
}

impl Planner<'_, '_> {
    fn row(
        &mut self,
        row: usize,
        (incoming, errors): ReadRow,
        columns: &[Field],
        req: &ImportRequest,
    ) -> std::result::Result<(PlannedRow, Option<Write>), Vec<RowError>> {
        let Some(mut incoming) = incoming.filter(|_| errors.is_empty()) else { return Err(errors) };
        if !incoming.id_given {
            let derived = incoming.customer.id.clone();
            let taken = self.w.snapshot().blob_id(&layout::customer_path(&derived)).is_some();
            let named = if taken { None } else { self.named(&incoming.customer.name) };
            incoming.customer.id = named.unwrap_or_else(|| self.free_id(derived));
        }
        let c = &incoming.customer;
        let err = |column: &str, reason: String| vec![RowError { row, column: column.into(), reason }];
        let name_column = header_of(columns, Field::Name, req);
        if let Some(first) = self.seen_ids.get(c.id.as_str()) {
            if !req.force {
                return Err(err(&name_column, format!("same customer as row {first} (id `{}`)", c.id)));
            }
        }
        let keys = dedupe::keys(&c.name, &c.contacts);
        let existing = self.index.find(&keys, c.id.as_str());
        if let Some(why) = existing.as_ref().and_then(|d| super::pool::pooled_copy(self.w.snapshot(), d)) {
            return Err(err(&name_column, why));
        }
        if !req.force {
            if let Some(d) = self.file.find(&keys, "") {
                return Err(err(&name_column, format!("same {} as row {} ({})", d.by, d.id, d.value)));
            }
            if let Some(d) = existing {
                let reason = format!("looks like existing customer `{}` (same {}: {})", d.id, d.by, d.value);
                return Err(err(&name_column, format!("{reason}; use --force if it is a different one")));
            }
        }
        self.seen_ids.entry(c.id.to_string()).or_insert(row);
        self.file.insert(&row.to_string(), &keys);
        let path = layout::customer_path(&c.id);
        let existing = match self.w.snapshot().text(&path) {
            Ok(t) => t,
            Err(e) => return Err(err("id", e.to_string())),
        };
        let planned =
            |action| PlannedRow { row, action, id: c.id.to_string(), name: c.name.clone(), owner: c.owner.clone() };
        let Some(src) = existing else {
            if let Err(e) = self.w.authorize(Action::AddCustomer { customer: c }) {
                return Err(err("owner", e.to_string()));
            }
            let me = self.w.actor.handle.as_str();
            for touch in c.touches.iter().filter(|t| t.by != me) {
                if let Err(e) = self.w.authorize(Action::LogTouchFor { by: &touch.by, imported: true }) {
                    return Err(err("touches", e.to_string()));
                }
            }
            return Ok((planned("add"), Some(Write::New(Box::new(incoming.customer)))));
        };
        // In a sealed store a row is compared with the opened values (the
        // write seals what changed again, and keeps what did not).
        let src = self.w.opened(&c.id, &path, src).map_err(|e| err("id", e.to_string()))?;
        let before = Customer::parse(&c.id, &path, &src).map_err(|e| err("id", e.to_string()))?;
        let text = merge(&path, &src, &before, &incoming).map_err(|e| err(&name_column, e.to_string()))?;
        let after = Customer::parse(&c.id, &path, &text).map_err(|e| err(&name_column, e.to_string()))?;
        if after == before {
            return Ok((planned("unchanged"), None));
        }
        if !req.update {
            let how = if incoming.id_given { "id" } else { "name" };
            return Err(err(
                &name_column,
                format!("customer `{}` (matched by {how}) exists with other values; use --update to change it", c.id),
            ));
        }
        let ownership = after.owner != before.owner || after.backup != before.backup;
        let action = if ownership {
            Action::ChangeOwnership { customer: &before }
        } else {
            Action::EditCustomer { customer: &before }
        };
        if let Err(e) = self.w.authorize(action) {
            return Err(err("owner", e.to_string()));
        }
        if let Some(d) = crate::model::pool::judge_pool_fields(&self.w.actor, &self.w.config.pool, &before, &after) {
            let column = match d.rule {
                crate::model::rule_ids::VerifyRule::SinceMoved => "since",
                _ => "tier",
            };
            return Err(err(column, format!("{} may not {}", self.w.actor.handle, d.reason)));
        }
        let handed_on = self.day.filter(|_| after.owner != before.owner).and_then(|day| {
            crate::model::pool::judge_hand_on(&self.w.actor, &before, &after.owner, &self.w.config.pool, day)
        });
        if let Some(d) = handed_on {
            return Err(err("owner", format!("{} may not {}", self.w.actor.handle, d.reason)));
        }
        let me = self.w.actor.handle.as_str();
        for touch in after.touches.iter().skip(before.touches.len()).filter(|t| t.by != me) {
            if let Err(e) = self.w.authorize(Action::LogTouchFor { by: &touch.by, imported: false }) {
                return Err(err("touches", e.to_string()));
            }
        }
        Ok((planned("update"), Some(Write::Text(Change::write(path, text)))))
    }

    /// The one customer already in the store named exactly `name`, unless
    /// an earlier row of this file took it. A row without an id matches a
    /// customer by the id its name gives, and ids derived from a name
    /// change when the way of deriving them improves (or jieba's
    /// dictionary does), while stored ids never do: a customer added
    /// before still matches by its name.
    fn named(&self, name: &str) -> Option<CustomerId> {
        let names = self.names.get_or_init(|| {
            let mut names: HashMap<&str, Vec<&str>> = HashMap::new();
            for e in self.catalog.entries().filter(|e| e.readable) {
                names.entry(e.fields().name).or_default().push(e.id);
            }
            names
        });
        match names.get(search::one_line(name).as_str())?.as_slice() {
            [id] if !self.seen_ids.contains_key(*id) => CustomerId::parse(id).ok(),
            _ => None,
        }
    }

    /// `id`, or with a numeric suffix when an earlier row of this file
    /// took it (only reached with --force).
    fn free_id(&self, id: CustomerId) -> CustomerId {
        if !self.seen_ids.contains_key(id.as_str()) {
            return id;
        }
        (2..).map(|n| id.with_suffix(n)).find(|c| !self.seen_ids.contains_key(c.as_str())).unwrap_or(id)
    }
}

impl RowReader<'_> {
    /// Reads one row's cells into a customer, collecting cell errors.
    fn read(&self, row: usize, cells: &[String], columns: &[Field], req: &ImportRequest) -> ReadRow {
        let mut errors = Vec::new();
        let incoming = self.incoming(row, cells, columns, req, &mut errors);
        (incoming, errors)
    }

    fn incoming(
        &self,
        row: usize,
        cells: &[String],
        columns: &[Field],
        req: &ImportRequest,
        errors: &mut Vec<RowError>,
    ) -> Option<Incoming> {
        let header = |i: usize| req.sheet.as_ref().and_then(|s| s.headers.get(i)).cloned().unwrap_or_default();
        let mut fail = |i: usize, reason: String| errors.push(RowError { row, column: header(i), reason });
        let (mut c, given, id) = read_row(cells, columns, req, &mut fail)?;
        self.judge_row(&c, id.as_ref(), columns, &mut fail);
        let name_col = columns.iter().position(|f| *f == Field::Name).unwrap_or(0);
        let id_given = id.is_some();
        c.id = match id {
            Some(id) => id,
            None => match CustomerId::derive(&c.name) {
                Some(id) => id,
                None if c.name.trim().is_empty() => return None,
                None => {
                    fail(name_col, format!("no id can be derived from `{}`; add an id column", c.name));
                    return None;
                }
            },
        };
        Some(Incoming { customer: c, given, id_given })
    }

    /// Reports what makes the row's customer invalid, at its column: the
    /// name, the owner and backup as people to assign now, then the shared
    /// definition of a valid customer. `id` is the row's, when it gives one.
    fn judge_row(&self, c: &Customer, id: Option<&CustomerId>, columns: &[Field], fail: &mut dyn FnMut(usize, String)) {
        let name_col = columns.iter().position(|f| *f == Field::Name).unwrap_or(0);
        if c.name.trim().is_empty() {
            fail(name_col, "the name is empty".into());
        }
        let owner_col = columns.iter().position(|f| *f == Field::Owner).unwrap_or(name_col);
        if c.owner.is_empty() {
            fail(owner_col, "no owner".into());
        } else if c.owner == POOL && id.is_some_and(|id| self.pooled.contains(id.as_str())) {
            // A pooled customer as it is (an export's row): still the pool's.
        } else if let Err(e) = active_person(self.staff, &c.owner) {
            fail(owner_col, e.to_string());
        }
        let backup_refused = match c.backup.as_deref().map(|b| active_person(self.staff, b)) {
            Some(Err(e)) => {
                fail(columns.iter().position(|f| *f == Field::Backup).unwrap_or(0), e.to_string());
                true
            }
            _ => false,
        };
        // The shared definition of a valid customer; the name, the owner and
        // the backup's standing were judged above.
        for problem in validity::problems(c, self.policy, self.staff) {
            let field = match problem.field.as_str() {
                "name" | "owner" => continue,
                "backup" if backup_refused => continue,
                "backup" if c.backup.is_none() => Field::Tier,
                "backup" => Field::Backup,
                "tier" => Field::Tier,
                "status" => Field::Status,
                "region" => Field::Region,
                _ => Field::Touches,
            };
            fail(columns.iter().position(|f| *f == field).unwrap_or(0), problem.message);
        }
    }
}

/// The customer a row's cells describe (id not yet derived), the fields it
/// gives and the id it names; cells that cannot be read are reported.
fn read_row(
    cells: &[String],
    columns: &[Field],
    req: &ImportRequest,
    fail: &mut dyn FnMut(usize, String),
) -> Option<(Customer, Vec<Field>, Option<CustomerId>)> {
    let mut values: BTreeMap<usize, (Field, String)> = BTreeMap::new();
    for (i, field) in columns.iter().enumerate() {
        let cell = cells.get(i).map(|c| sheet::unneutralize(c.trim()).to_string()).unwrap_or_default();
        if *field != Field::Ignore && !cell.is_empty() {
            values.insert(i, (*field, cell));
        }
    }
    let mut c =
        Customer::new(CustomerId::parse("placeholder").ok()?, String::new(), req.owner.clone().unwrap_or_default());
    let mut given = Vec::new();
    let mut id = None;
    let mut contact = Contact::default();
    for (&i, (field, cell)) in &values {
        given.push(*field);
        match field {
            Field::Id => match CustomerId::parse(cell) {
                Ok(v) => id = Some(v),
                Err(e) => fail(i, e.to_string()),
            },
            Field::Name => c.name = cell.clone(),
            Field::Owner => c.owner = cell.clone(),
            Field::Backup => c.backup = Some(cell.clone()),
            Field::Tier => c.tier = cell.clone(),
            Field::Status => c.status = cell.clone(),
            Field::Region => c.region = Some(cell.clone()),
            Field::Value => match sheet::parse_amount(cell) {
                Ok(v) => c.value = v,
                Err(e) => fail(i, e),
            },
            Field::Since | Field::NextDate => match sheet::parse_date(cell) {
                Ok(d) if *field == Field::Since => c.since = d,
                Ok(d) => c.next_date = d,
                Err(e) => fail(i, e),
            },
            Field::Tags => {
                c.tags =
                    sheet::split_escaped(cell, sheet::TAG_SEPARATORS).into_iter().filter(|t| !t.is_empty()).collect()
            }
            Field::NextStep => c.next_step = Some(cell.clone()),
            Field::Notes => c.notes = Some(cell.clone()),
            Field::ContactName if cell.contains('<') => match Contact::parse_spec(cell) {
                Ok(parsed) => contact = Contact { title: contact.title.take(), ..parsed },
                Err(e) => fail(i, e.to_string()),
            },
            Field::ContactName => contact.name = cell.clone(),
            Field::ContactTitle => contact.title = Some(cell.clone()),
            Field::ContactPhone => contact.phone = Some(cell.clone()),
            Field::ContactEmail if cell.contains('@') => contact.email = Some(cell.clone()),
            Field::ContactEmail => fail(i, format!("`{cell}` is not an email address")),
            Field::Contacts => match sheet::parse_contacts_cell(cell) {
                Ok(list) => c.contacts = list,
                Err(e) => fail(i, e),
            },
            Field::Touches => match sheet::parse_touches_cell(cell) {
                Ok(list) => c.touches = list,
                Err(e) => fail(i, e),
            },
            Field::Ignore => {}
        }
    }
    if contact != Contact::default() {
        if contact.name.is_empty() {
            contact.name = "(contact)".into();
        }
        c.contacts.push(contact);
    }
    Some((c, given, id))
}

fn header_of(columns: &[Field], field: Field, req: &ImportRequest) -> String {
    let i = columns.iter().position(|f| *f == field).unwrap_or(0);
    req.sheet.as_ref().and_then(|s| s.headers.get(i)).cloned().unwrap_or_else(|| "name".into())
}

/// The existing file with the row's given fields applied, keeping its
/// comments, layout and other keys. Single contacts are appended unless
/// already there; exported touches are appended past those already logged.
fn merge(path: &str, src: &str, before: &Customer, incoming: &Incoming) -> Result<String> {
    let c = &incoming.customer;
    let mut doc = Document::parse(path, src)?;
    let has = |f: Field| incoming.given.contains(&f);
    let mut set = |key: &str, field: Field, value: Option<toml_edit::Value>| {
        if has(field) {
            if let Some(v) = value {
                doc.set(key, v);
            }
        }
    };
    set("name", Field::Name, Some(c.name.as_str().into()));
    set("owner", Field::Owner, Some(c.owner.as_str().into()));
    set("backup", Field::Backup, c.backup.as_deref().map(Into::into));
    set("tier", Field::Tier, Some(c.tier.as_str().into()));
    set("status", Field::Status, Some(c.status.as_str().into()));
    set("region", Field::Region, c.region.as_deref().map(Into::into));
    set("value", Field::Value, c.value.map(|v| (v as i64).into()));
    set("since", Field::Since, c.since.map(|d| d.to_toml().into()));
    set("tags", Field::Tags, Some(string_array(&c.tags).into()));
    set("next_step", Field::NextStep, c.next_step.as_deref().map(Into::into));
    set("next_date", Field::NextDate, c.next_date.map(|d| d.to_toml().into()));
    set("notes", Field::Notes, c.notes.as_deref().map(Into::into));
    if has(Field::Contacts) {
        if c.contacts != before.contacts {
            doc.remove("contacts");
            for contact in &c.contacts {
                doc.push_table("contacts", contact_table(contact));
            }
        }
    } else {
        for contact in c.contacts.iter().filter(|n| !before.contacts.iter().any(|o| same_contact(o, n))) {
            doc.push_table("contacts", contact_table(contact));
        }
    }
    if has(Field::Touches) {
        let known = before.touches.len();
        if c.touches.len() < known || c.touches[..known] != before.touches[..] {
            return Err(Error::invalid("touches", "", "differ from the logged ones; the interaction log only grows"));
        }
        for t in &c.touches[known..] {
            doc.push_table("touches", touch_table(t));
        }
    }
    Ok(doc.to_string())
}

/// Whether a contact from a row is one the customer already has.
fn same_contact(old: &Contact, new: &Contact) -> bool {
    let field = |a: &Option<String>, b: &Option<String>| b.is_none() || a == b;
    old.name == new.name && field(&old.phone, &new.phone) && field(&old.email, &new.email)
}
