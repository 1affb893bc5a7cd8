//! Writing records as TOML with `toml_edit`: new files in a canonical key
//! order, and edits that change one value while keeping every comment, key
//! order and byte of formatting a person put in the file.

use std::fmt::Write as _;

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use super::customer::{Contact, Customer, Touch};
use super::pool::{PoolFields, POOL_KEYS};
use super::rule_ids::CheckRule;
use super::schema::{self, Problem};
use super::staff::Staff;

/// Top-level keys of a customer file, in the order of the file format.
pub const CUSTOMER_KEYS: &[&str] = &[
    "name",
    "owner",
    "backup",
    "pool_released",
    "pool_reason",
    "pool_from",
    "pool_claimed",
    "pool_assigned",
    "pool_locked_by",
    "pool_locked_until",
    "tier",
    "status",
    "region",
    "since",
    "value",
    "tags",
    "next_step",
    "next_date",
    "notes",
    "sealed_to",
    "sealed_key",
];
/// Top-level keys of a staff file, in the order of the file format.
pub const STAFF_KEYS: &[&str] = &["name", "email", "role", "region", "status", "joined", "left", "rehire", "keys"];

/// A TOML file being edited.
pub struct Document {
    doc: DocumentMut,
    /// The file format's key order, where a new key should go.
    order: &'static [&'static str],
}

impl Document {
    /// Parses a file for editing; `path` is for the error message.
    pub fn parse(path: &str, src: &str) -> crate::Result<Document> {
        let doc: DocumentMut = src.parse().map_err(|e: toml_edit::TomlError| {
            let (line, column) = e.span().map_or((1, 1), |s| schema::line_col(src, s.start));
            Problem { rule: CheckRule::TomlSyntax, line, column, message: schema::one_line(e.message()) }
                .into_error(path)
        })?;
        let order = if path.starts_with("customers/") {
            CUSTOMER_KEYS
        } else if path.starts_with("staff/") {
            STAFF_KEYS
        } else {
            &[]
        };
        Ok(Document { doc, order })
    }

    /// An empty document.
    pub fn new() -> Document {
        Document { doc: DocumentMut::new(), order: &[] }
    }

    fn rank(&self, key: &str) -> usize {
        self.order.iter().position(|k| *k == key).unwrap_or(usize::MAX)
    }

    /// Sets a top-level key. An existing value keeps its surrounding
    /// whitespace and trailing comment; a new key goes after the others.
    pub fn set(&mut self, key: &str, new: impl Into<Value>) {
        let mut new = new.into();
        match self.doc.get_mut(key) {
            Some(Item::Value(old)) => {
                *new.decor_mut() = old.decor().clone();
                *old = new;
            }
            _ => {
                // A file still in the format's order gets the new key in its
                // place; a file a person has ordered otherwise gets it last.
                let ranks: Vec<usize> =
                    self.doc.iter().filter(|(_, i)| i.is_value()).map(|(k, _)| self.rank(k)).collect();
                let in_order = ranks.windows(2).all(|w| w[0] <= w[1]) && ranks.last().is_none_or(|r| *r != usize::MAX);
                self.doc.insert(key, Item::Value(new));
                if in_order && self.rank(key) != usize::MAX {
                    let order = self.order;
                    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(usize::MAX);
                    self.doc.sort_values_by(|a, _, b, _| rank(a).cmp(&rank(b)));
                }
            }
        }
    }

    /// Sets a top-level key only when `new` is `Some`.
    pub fn set_opt(&mut self, key: &str, new: Option<impl Into<Value>>) {
        if let Some(v) = new {
            self.set(key, v);
        }
    }

    /// Makes the file's `pool_*` keys say `pool`: each key set or removed.
    pub fn set_pool(&mut self, pool: &PoolFields) {
        let values = pool_values(pool);
        for key in POOL_KEYS {
            match values.iter().find(|(k, _)| k == key) {
                Some((_, v)) => self.set(key, v.clone()),
                None => {
                    self.remove(key);
                }
            }
        }
    }

    /// Removes a top-level key; says whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.doc.remove(key).is_some()
    }

    /// Calls `f` with every string value of the file and its path (`notes`,
    /// `contacts[1].phone`), to change in place: what sealing rewrites.
    pub fn strings_mut(&mut self, mut f: impl FnMut(&str, &mut Value)) {
        let mut each = |path: String, v: &mut Value| {
            if v.is_str() {
                f(&path, v);
            }
        };
        for (key, item) in self.doc.iter_mut() {
            match item {
                Item::Value(Value::Array(array)) => {
                    for (i, table) in array.iter_mut().filter_map(Value::as_inline_table_mut).enumerate() {
                        for (k, v) in table.iter_mut() {
                            each(format!("{key}[{i}].{k}"), v);
                        }
                    }
                }
                Item::Value(v) => each(key.to_string(), v),
                Item::ArrayOfTables(tables) => {
                    for (i, table) in tables.iter_mut().enumerate() {
                        for (k, item) in table.iter_mut() {
                            if let Item::Value(v) = item {
                                each(format!("{key}[{i}].{k}"), v);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Appends a table to the array of tables `key` (`[[key]]`), or to an
    /// inline array of tables if the file is written that way.
    pub fn push_table(&mut self, key: &str, table: Table) {
        match self.doc.get_mut(key) {
            Some(Item::ArrayOfTables(tables)) => tables.push(table),
            Some(Item::Value(Value::Array(array))) => array.push(table.into_inline_table()),
            _ => {
                let mut tables = ArrayOfTables::new();
                tables.push(table);
                self.doc.insert(key, Item::ArrayOfTables(tables));
            }
        }
    }
}

impl Default for Document {
    fn default() -> Self {
        Document::new()
    }
}

impl std::fmt::Display for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.doc.fmt(f)
    }
}

/// The `pool_*` keys `pool` sets, with their values, in file order.
pub fn pool_values(pool: &PoolFields) -> Vec<(&'static str, Value)> {
    let date = |d: Option<crate::model::date::Date>| d.map(|d| Value::from(d.to_toml()));
    let text = |s: &Option<String>| s.as_deref().map(Value::from);
    let values = [
        date(pool.released),
        text(&pool.reason),
        text(&pool.from),
        date(pool.claimed),
        date(pool.assigned),
        text(&pool.locked_by),
        date(pool.locked_until),
    ];
    POOL_KEYS.iter().zip(values).filter_map(|(k, v)| Some((*k, v?))).collect()
}

/// A TOML array of strings.
pub fn string_array<S: AsRef<str>>(items: &[S]) -> Array {
    items.iter().map(AsRef::as_ref).collect()
}

/// `[[contacts]]` entry for `c`.
pub fn contact_table(c: &Contact) -> Table {
    let mut t = Table::new();
    t.insert("name", value(c.name.as_str()));
    for (k, v) in [("title", &c.title), ("phone", &c.phone), ("email", &c.email)] {
        if let Some(v) = v {
            t.insert(k, value(v.as_str()));
        }
    }
    t
}

/// `[[touches]]` entry for `t`.
pub fn touch_table(touch: &Touch) -> Table {
    let mut t = Table::new();
    t.insert("date", value(touch.date.to_toml()));
    t.insert("by", value(touch.by.as_str()));
    t.insert("kind", value(touch.kind.as_str()));
    t.insert("summary", value(touch.summary.as_str()));
    t
}

/// A new customer file, keys in the order of the file format: the bytes
/// a [`Document`] built key by key would give (a test holds it to that),
/// written directly because an import renders tens of thousands of them.
pub fn customer_toml(c: &Customer) -> String {
    fn put(out: &mut String, key: &str, v: Value) {
        let _ = writeln!(out, "{key} = {v}");
    }
    let mut out = String::with_capacity(1024);
    put(&mut out, "name", c.name.as_str().into());
    put(&mut out, "owner", c.owner.as_str().into());
    if let Some(b) = &c.backup {
        put(&mut out, "backup", b.as_str().into());
    }
    for (key, v) in pool_values(&c.pool) {
        put(&mut out, key, v);
    }
    put(&mut out, "tier", c.tier.as_str().into());
    put(&mut out, "status", c.status.as_str().into());
    if let Some(r) = &c.region {
        put(&mut out, "region", r.as_str().into());
    }
    if let Some(d) = c.since {
        put(&mut out, "since", d.to_toml().into());
    }
    if let Some(v) = c.value {
        put(&mut out, "value", (v as i64).into());
    }
    if !c.tags.is_empty() {
        put(&mut out, "tags", string_array(&c.tags).into());
    }
    if let Some(s) = &c.next_step {
        put(&mut out, "next_step", s.as_str().into());
    }
    if let Some(d) = c.next_date {
        put(&mut out, "next_date", d.to_toml().into());
    }
    if let Some(n) = &c.notes {
        put(&mut out, "notes", n.as_str().into());
    }
    if let Some(seal) = &c.seal {
        put(&mut out, "sealed_to", string_array(&seal.to).into());
        put(&mut out, "sealed_key", seal.key.as_str().into());
    }
    for contact in &c.contacts {
        out.push_str("\n[[contacts]]\n");
        put(&mut out, "name", contact.name.as_str().into());
        for (k, v) in [("title", &contact.title), ("phone", &contact.phone), ("email", &contact.email)] {
            if let Some(v) = v {
                put(&mut out, k, v.as_str().into());
            }
        }
    }
    for t in &c.touches {
        out.push_str("\n[[touches]]\n");
        put(&mut out, "date", t.date.to_toml().into());
        put(&mut out, "by", t.by.as_str().into());
        put(&mut out, "kind", t.kind.as_str().into());
        put(&mut out, "summary", t.summary.as_str().into());
    }
    out
}

/// A new staff file.
pub fn staff_toml(s: &Staff) -> String {
    let mut d = Document::new();
    d.set("name", s.name.as_str());
    d.set("email", s.email.as_str());
    d.set("role", s.role.as_str());
    d.set_opt("region", s.region.as_deref());
    d.set("status", s.status.to_string());
    d.set_opt("joined", s.joined.map(|x| x.to_toml()));
    d.set_opt("left", s.left.map(|x| x.to_toml()));
    d.set_opt("rehire", s.rehire);
    d.set("keys", string_array(&s.keys));
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::customer::Seal;
    use crate::model::date::Date;
    use crate::model::CustomerId;

    /// The customer file as a document built key by key: what
    /// `customer_toml` must write.
    fn built_key_by_key(c: &Customer) -> String {
        let mut d = Document::new();
        d.set("name", c.name.as_str());
        d.set("owner", c.owner.as_str());
        d.set_opt("backup", c.backup.as_deref());
        d.set_pool(&c.pool);
        d.set("tier", c.tier.as_str());
        d.set("status", c.status.as_str());
        d.set_opt("region", c.region.as_deref());
        d.set_opt("since", c.since.map(|x| x.to_toml()));
        d.set_opt("value", c.value.map(|v| v as i64));
        if !c.tags.is_empty() {
            d.set("tags", string_array(&c.tags));
        }
        d.set_opt("next_step", c.next_step.as_deref());
        d.set_opt("next_date", c.next_date.map(|x| x.to_toml()));
        d.set_opt("notes", c.notes.as_deref());
        if let Some(seal) = &c.seal {
            d.set("sealed_to", string_array(&seal.to));
            d.set("sealed_key", seal.key.as_str());
        }
        for contact in &c.contacts {
            d.push_table("contacts", contact_table(contact));
        }
        for touch in &c.touches {
            d.push_table("touches", touch_table(touch));
        }
        d.to_string()
    }

    #[test]
    fn new_customer_files_are_what_the_document_writes() {
        let texts = [
            "Acme",
            "郑州宇通 \"客运\" 集团",
            "it's",
            "a\\b",
            "two\nlines",
            "tab\there",
            "\u{1b}[31mred",
            "",
            "'\"both\"'",
        ];
        let date = Date::parse("2026-11-20").unwrap();
        for (i, text) in texts.iter().enumerate() {
            let t = |s: &str| format!("{s}{text}");
            let full = i % 2 == 0;
            let c = Customer {
                id: CustomerId::parse("acme").unwrap(),
                name: t("N"),
                owner: "zhang.wei".into(),
                backup: full.then(|| "li.na".into()),
                tier: "key".into(),
                status: "active".into(),
                region: full.then(|| t("华中")),
                since: full.then_some(date),
                value: full.then_some(12_000_000),
                tags: if full { vec![t("a"), "b".into()] } else { vec![] },
                next_step: full.then(|| t("call")),
                next_date: full.then_some(date),
                notes: Some(t("notes")),
                contacts: vec![
                    Contact {
                        name: t("王"),
                        title: full.then(|| t("经理")),
                        phone: Some("+86 1".into()),
                        email: None
                    };
                    i % 3
                ],
                touches: vec![Touch { date, by: "li.na".into(), kind: "call".into(), summary: t("s") }; i % 2 + 1],
                seal: full.then(|| Seal { to: vec!["li.na".into(), "@recovery".into()], key: t("YWdl") }),
                pool: PoolFields {
                    released: full.then_some(date),
                    reason: full.then(|| "no-touch".into()),
                    from: full.then(|| t("zhang.wei")),
                    claimed: (!full).then_some(date),
                    assigned: (!full && i % 2 == 0).then_some(date),
                    locked_by: (i % 3 == 0).then(|| "li.na".into()),
                    locked_until: (i % 3 == 0 && full).then_some(date),
                },
            };
            assert_eq!(customer_toml(&c), built_key_by_key(&c), "{c:?}");
        }
    }

    #[test]
    fn edits_keep_comments_order_and_spacing() {
        let src = "# Key account, see contract 2019-17\nowner = \"zhang.wei\"   # since the 2019 tender\n\nname  =  \"Acme\"\ntier = \"standard\" # upgrade?\n\n[[contacts]] # the buyer\nname = \"Wang\"\n";
        let mut d = Document::parse("x", src).unwrap();
        d.set("tier", "key");
        let out = d.to_string();
        assert_eq!(out, src.replace("tier = \"standard\" # upgrade?", "tier = \"key\" # upgrade?"));
    }

    #[test]
    fn new_keys_take_their_place_in_files_in_format_order() {
        let mut d = Document::parse("customers/aa/x.toml", "name = \"A\"\nowner = \"b\"\nnotes = \"n\"\n").unwrap();
        d.set("tags", string_array(&["t"]));
        assert_eq!(d.to_string(), "name = \"A\"\nowner = \"b\"\ntags = [\"t\"]\nnotes = \"n\"\n");
        // A hand-ordered file keeps its order; the key goes last.
        let mut d = Document::parse("customers/aa/x.toml", "owner = \"b\"\nname = \"A\"\n").unwrap();
        d.set("tier", "key");
        assert_eq!(d.to_string(), "owner = \"b\"\nname = \"A\"\ntier = \"key\"\n");
    }

    #[test]
    fn new_keys_go_before_tables() {
        let mut d = Document::parse("x", "name = \"A\"\n\n[[touches]]\ndate = 2026-01-01\n").unwrap();
        d.set("value", 5);
        d.push_table("touches", Table::new());
        let out = d.to_string();
        assert!(out.starts_with("name = \"A\"\nvalue = 5\n"), "{out}");
        assert_eq!(out.matches("[[touches]]").count(), 2);
    }
}
