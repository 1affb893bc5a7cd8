//! A fast reader for customer files in the shape `crm` writes them (and the
//! usual hand edits: comments, blank lines, other key order): one
//! `key = value` per line, basic or literal strings, integers, dates, one-line
//! string arrays, and `[[contacts]]` / `[[touches]]` tables.
//!
//! It exists for speed — `crm check` reads every customer, history reads
//! thousands of versions — and it never decides anything on its own: for
//! anything outside that shape, or anything wrong (an unknown key, a wrong
//! type, a duplicate key, a date that does not exist), it gives up and the
//! full `toml_edit` reader takes over, with its positions and messages. So
//! when it answers, the answer is the one the full reader would give (a test
//! holds it to that on thousands of mutated files).

use std::borrow::Cow;

use super::customer::{Contact, Customer, Seal, Touch};
use super::date::Date;
use super::ids::CustomerId;
use super::pool::PoolFields;

/// A value as the fast reader understands it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Date(Date),
    Strs(Vec<String>),
}

/// One table's keys and values.
type Fields<'a> = Vec<(&'a str, Value)>;

/// Which table the lines belong to.
enum Section {
    Root,
    Contact,
    Touch,
}

/// Reads `src` the fast way, or `None` when the full reader must decide.
pub fn customer(id: &CustomerId, src: &str) -> Option<Customer> {
    let mut root: Fields = Vec::new();
    let mut contacts: Vec<Fields> = Vec::new();
    let mut touches: Vec<Fields> = Vec::new();
    let mut section = Section::Root;
    for line in lines(src) {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            if trimmed.chars().any(|c| c.is_control() && c != '\t') {
                return None;
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("[[") {
            let (name, after) = rest.split_once("]]")?;
            if !comment_or_nothing(after) {
                return None;
            }
            section = match name {
                "contacts" => {
                    contacts.push(Vec::new());
                    Section::Contact
                }
                "touches" => {
                    touches.push(Vec::new());
                    Section::Touch
                }
                _ => return None,
            };
            continue;
        }
        let (key, value) = key_value(trimmed)?;
        let fields = match section {
            Section::Root => &mut root,
            Section::Contact => contacts.last_mut()?,
            Section::Touch => touches.last_mut()?,
        };
        if fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, value));
    }
    build(id, root, contacts, touches)
}

/// The lines of `src` without their `\n` or `\r\n`, found by the memchr
/// crate's vectorised search: sealed files have long lines of base64, and
/// `crm check` reads every file of the store.
fn lines(src: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let last = (!src.is_empty() && !src.ends_with('\n')).then_some(src.len());
    memchr::memchr_iter(b'\n', src.as_bytes()).chain(last).map(move |end| {
        let line = &src[start..end];
        start = end + 1;
        match end < src.len() {
            true => line.strip_suffix('\r').unwrap_or(line),
            false => line,
        }
    })
}

/// Splits `key = value # comment`.
fn key_value(line: &str) -> Option<(&str, Value)> {
    let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    let (key, rest) = line.split_at(end);
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?.trim_start_matches([' ', '\t']);
    let (value, after) = value(rest)?;
    comment_or_nothing(after).then_some((key, value))
}

fn comment_or_nothing(s: &str) -> bool {
    let s = s.trim_start_matches([' ', '\t']);
    s.is_empty() || (s.starts_with('#') && !s.chars().any(|c| c.is_control() && c != '\t'))
}

/// One value at the start of `s`; returns it and what follows.
fn value(s: &str) -> Option<(Value, &str)> {
    match s.as_bytes().first()? {
        b'"' | b'\'' => {
            let (text, rest) = string(s)?;
            Some((Value::Str(text), rest))
        }
        b'[' => {
            let mut rest = s[1..].trim_start_matches([' ', '\t']);
            let mut items = Vec::new();
            loop {
                if let Some(after) = rest.strip_prefix(']') {
                    return Some((Value::Strs(items), after));
                }
                let (text, after) = string(rest)?;
                items.push(text);
                rest = after.trim_start_matches([' ', '\t']);
                match rest.strip_prefix(',') {
                    Some(after) => rest = after.trim_start_matches([' ', '\t']),
                    None if rest.starts_with(']') => {}
                    None => return None,
                }
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            let end = s.find([' ', '\t', '#']).unwrap_or(s.len());
            let (token, rest) = s.split_at(end);
            if token.len() == 10 && token.as_bytes()[4] == b'-' && token.as_bytes()[7] == b'-' {
                return Some((Value::Date(date(token)?), rest));
            }
            integer(token).map(|n| (Value::Int(n), rest))
        }
        _ => None,
    }
}

/// `YYYY-MM-DD` that exists.
fn date(token: &str) -> Option<Date> {
    let b = token.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    chrono::NaiveDate::from_ymd_opt(y as i32, m, d).map(Date)
}

/// A TOML decimal integer (`12000000`, `12_000_000`, `+5`; no leading zeros).
fn integer(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    let bytes = digits.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && !(bytes.len() > 1 && bytes[0] == b'0')
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.contains("__");
    if !well_formed {
        return None;
    }
    token.replace('_', "").parse().ok()
}

/// A basic (`"…"`) or literal (`'…'`) one-line string at the start of `s`.
fn string(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, quote) = chars.next()?;
    if !matches!(quote, '"' | '\'') || s.starts_with("\"\"\"") || s.starts_with("'''") {
        return None;
    }
    // The common case, no escapes: the end found by memchr, then the text
    // checked for control characters in one pass the compiler vectorises
    // (sealed values are long runs of base64).
    let body = &s[1..];
    if let Some(end) = memchr::memchr2(quote as u8, b'\\', body.as_bytes()) {
        let text = &body.as_bytes()[..end];
        let control = text.iter().fold(false, |any, &b| any | ((b < 0x20) & (b != b'\t')) | (b == 0x7f));
        if body.as_bytes()[end] == quote as u8 && !control {
            return Some((body[..end].to_string(), &body[end + 1..]));
        }
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, &s[i + 1..])),
            c if c.is_control() && c != '\t' => return None,
            '\\' if quote == '"' => {
                let (_, e) = chars.next()?;
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let hex: String = (0..n).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        if hex.len() != n {
                            return None;
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// Takes the fields of one table by name, refusing unknown or mistyped keys.
struct Take<'a> {
    fields: Fields<'a>,
}

impl<'a> Take<'a> {
    fn value(&mut self, key: &str) -> Option<Value> {
        let i = self.fields.iter().position(|(k, _)| *k == key)?;
        Some(self.fields.swap_remove(i).1)
    }

    /// `Ok(None)` when absent, `Err` when of another type.
    fn str(&mut self, key: &str) -> Result<Option<String>, ()> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    }

    fn date(&mut self, key: &str) -> Result<Option<Date>, ()> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Date(d)) => Ok(Some(d)),
            Some(_) => Err(()),
        }
    }

    /// Whether every field was taken (no unknown keys).
    fn done(self) -> Option<()> {
        self.fields.is_empty().then_some(())
    }
}

fn build(id: &CustomerId, root: Fields<'_>, contacts: Vec<Fields<'_>>, touches: Vec<Fields<'_>>) -> Option<Customer> {
    let mut r = Take { fields: root };
    let value = match r.value("value") {
        None => None,
        Some(Value::Int(n)) if n >= 0 => Some(n as u64),
        Some(_) => return None,
    };
    let tags = match r.value("tags") {
        None => Vec::new(),
        Some(Value::Strs(t)) => t,
        Some(_) => return None,
    };
    let mut c = Customer {
        id: id.clone(),
        name: r.str("name").ok()??,
        owner: r.str("owner").ok()??,
        backup: r.str("backup").ok()?,
        tier: r.str("tier").ok()?.unwrap_or_else(|| "standard".into()),
        status: r.str("status").ok()?.unwrap_or_else(|| "active".into()),
        region: r.str("region").ok()?,
        since: r.date("since").ok()?,
        value,
        tags,
        next_step: r.str("next_step").ok()?,
        next_date: r.date("next_date").ok()?,
        notes: r.str("notes").ok()?,
        contacts: Vec::with_capacity(contacts.len()),
        touches: Vec::with_capacity(touches.len()),
        seal: None,
        pool: PoolFields {
            released: r.date("pool_released").ok()?,
            reason: r.str("pool_reason").ok()?,
            from: r.str("pool_from").ok()?,
            claimed: r.date("pool_claimed").ok()?,
            assigned: r.date("pool_assigned").ok()?,
            locked_by: r.str("pool_locked_by").ok()?,
            locked_until: r.date("pool_locked_until").ok()?,
        },
    };
    let sealed_to = match r.value("sealed_to") {
        None => None,
        Some(Value::Strs(t)) => Some(t),
        Some(_) => return None,
    };
    let sealed_key = r.str("sealed_key").ok()?;
    if sealed_to.is_some() != sealed_key.is_some() {
        return None;
    }
    c.seal = Seal::from_parts(sealed_to, sealed_key);
    r.done()?;
    for fields in contacts {
        let mut t = Take { fields };
        c.contacts.push(Contact {
            name: t.str("name").ok()?.unwrap_or_default(),
            title: t.str("title").ok()?,
            phone: t.str("phone").ok()?,
            email: t.str("email").ok()?,
        });
        t.done()?;
    }
    for fields in touches {
        let mut t = Take { fields };
        c.touches.push(Touch {
            date: t.date("date").ok()??,
            by: t.str("by").ok()??,
            kind: t.str("kind").ok()??,
            summary: t.str("summary").ok()?.unwrap_or_default(),
        });
        t.done()?;
    }
    Some(c)
}

/// The byte offset of the key `path` (`owner`, `touches[2].by`) in a file
/// the fast reader accepted: where findings about it point.
pub fn key_offset(src: &str, path: &str) -> Option<usize> {
    let (table, index, key) = match path.split_once("].") {
        Some((head, key)) => {
            let (table, index) = head.split_once('[')?;
            (table, index.parse::<usize>().ok()?, key)
        }
        None => ("", 0, path),
    };
    let mut section = "";
    let mut seen = 0;
    let mut offset = 0;
    for raw in src.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let trimmed = raw.trim_start_matches([' ', '\t']);
        if let Some(name) = trimmed.strip_prefix("[[").and_then(|r| r.split_once("]]")).map(|(n, _)| n) {
            if name == table {
                seen += 1;
            }
            section = name;
            continue;
        }
        let in_table = section == table && (table.is_empty() || seen == index + 1);
        let is_key = trimmed.strip_prefix(key).is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('='));
        if in_table && is_key {
            return Some(start + (raw.len() - trimmed.len()));
        }
    }
    None
}

/// `src` — a file the fast reader accepted — with top-level keys set
/// (`Some(repr)`, a TOML value as toml_edit writes a new one) or removed
/// (`None`), in order, everything else byte for byte: what the full editor
/// ([`super::document::Document`]) gives, without building its document. A
/// value keeps its spacing and comment; a new key goes in its place in the
/// file format's order. `None` where the full editor must decide: CRLF line
/// ends or no final line end, a new key for a file not in the format's key
/// order, a key to remove with comments or blank lines above it (they would
/// go with it).
pub fn edit_root(src: &str, edits: &[(&str, Option<&str>)]) -> Option<String> {
    if src.contains('\r') || !src.ends_with('\n') {
        return None;
    }
    // Top-level keys sit above the first `[[table]]`: only those lines are
    // taken apart, once for all the edits; the tables are copied as they are.
    let (root, tables) = src.split_at(tables_start(src));
    let mut lines: Vec<RootLine<'_>> =
        root.split_inclusive('\n').map(|l| RootLine { text: Cow::Borrowed(l), key: key_of(l) }).collect();
    for (key, new) in edits {
        edit_line(&mut lines, key, *new)?;
    }
    let mut out = String::with_capacity(src.len() + 128);
    out.extend(lines.iter().map(|line| &*line.text));
    out.push_str(tables);
    Some(out)
}

/// A line above the tables, as [`edit_root`] edits them.
struct RootLine<'a> {
    text: Cow<'a, str>,
    /// The key it sets (none for blank lines and comments).
    key: Option<&'a str>,
}

/// The byte offset of the first `[[table]]` header line of `src` (its
/// length when there is none).
fn tables_start(src: &str) -> usize {
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        if line.trim_start_matches([' ', '\t']).starts_with("[[") {
            return offset;
        }
        offset += line.len();
    }
    src.len()
}

/// One edit of [`edit_root`] made to the top-level `lines`; `None` where
/// the full editor must decide.
fn edit_line<'a>(lines: &mut Vec<RootLine<'a>>, key: &'a str, new: Option<&str>) -> Option<()> {
    let at = lines.iter().position(|l| l.key == Some(key));
    match (at, new) {
        (Some(n), Some(repr)) => {
            let line = &lines[n].text;
            let rest = line.trim_start_matches([' ', '\t']).strip_prefix(key)?.trim_start_matches([' ', '\t']);
            let old = rest.strip_prefix('=')?.trim_start_matches([' ', '\t']);
            let (_, after) = value(old)?;
            let (start, end) = (line.len() - old.len(), line.len() - after.len());
            let edited = [&line[..start], repr, &line[end..]].concat();
            lines[n].text = Cow::Owned(edited);
        }
        (Some(n), None) => {
            // Comments and blank lines above a key are part of it.
            if n > 0 && lines[n - 1].key.is_none() {
                return None;
            }
            lines.remove(n);
        }
        (None, Some(repr)) => {
            // Only a file in the format's order gets a key in its place:
            // after the last key that comes before it.
            let mine = rank(key)?;
            let (mut previous, mut place) = (0, None);
            for (i, k) in lines.iter().enumerate().filter_map(|(i, l)| Some((i, l.key?))) {
                let r = rank(k)?;
                if r < previous {
                    return None;
                }
                previous = r;
                if r <= mine {
                    place = Some(i);
                }
            }
            let text = Cow::Owned([key, " = ", repr, "\n"].concat());
            lines.insert(place? + 1, RootLine { text, key: Some(key) });
        }
        (None, None) => {}
    }
    Some(())
}

/// The key a top-level `key = value` line sets (none for blank lines and
/// comments).
fn key_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start_matches([' ', '\t']);
    if trimmed.is_empty() || trimmed.starts_with(['#', '\n']) {
        return None;
    }
    let end = trimmed.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    Some(&trimmed[..end])
}

/// A top-level key's place in the file format's order.
fn rank(key: &str) -> Option<usize> {
    super::document::CUSTOMER_KEYS.iter().position(|k| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RICH: &str = "# Key account\r\nname = \"郑州宇通 \\\"客运\\\" 集团\\u00e9\"   # comment\nowner = 'zhang.wei'\nbackup = \"li.na\"\ntier = \"key\"\nregion = \"华中\"\nsince = 2019-04-01\nvalue = 12_000_000\ntags = [\"公交\", 'electric',]\nnext_step = \"Quote\"\nnext_date = 2026-12-15\nnotes = \"a\\tb\"\n\n[[contacts]] # buyer\nname = \"王建国\"\nphone = \"+86 371\"\n\n[[touches]]\ndate = 2026-11-20\nby = \"zhang.wei\"\nkind = \"visit\"\nsummary = \"x\"\n";

    fn id() -> CustomerId {
        CustomerId::parse("x").unwrap()
    }

    #[test]
    fn lines_are_those_split_inclusive_gives_without_their_ending() {
        for src in ["", "a", "a\n", "a\r\nb", "a\r", "\n\n", "a\r\r\n", "\r\n"] {
            let expected: Vec<&str> = src
                .split_inclusive('\n')
                .map(|r| r.strip_suffix("\r\n").or_else(|| r.strip_suffix('\n')).unwrap_or(r))
                .collect();
            assert_eq!(lines(src).collect::<Vec<_>>(), expected, "{src:?}");
        }
    }

    /// When the fast reader answers, the full reader gives the same answer.
    fn agrees(src: &str) -> bool {
        let Some(fast) = customer(&id(), src) else { return false };
        let slow = Customer::parse_all_slowly(&id(), src);
        assert!(
            slow.errors.is_empty() && slow.warnings.is_empty(),
            "fast accepted what the full reader refuses:\n{src:?}\n{:?}",
            slow.errors
        );
        assert_eq!(slow.customer.as_ref(), Some(&fast), "different customer for:\n{src:?}");
        for (key, at) in slow.offsets.iter().flatten() {
            assert_eq!(key_offset(src, key), Some(*at), "different offset of {key} in:\n{src:?}");
        }
        // Editing values as text gives what the full editor writes, or
        // leaves it to the editor.
        let mut doc = crate::model::document::Document::parse("x.toml", src).unwrap();
        doc.set("owner", "new.owner");
        let repr = toml_edit::Value::from("new.owner").to_string();
        if !src.contains('\r') && src.ends_with('\n') {
            let edited = edit_root(src, &[("owner", Some(&repr))]);
            assert_eq!(edited, Some(doc.to_string()), "different edit of:\n{src:?}");
            if fast.backup.is_some() {
                doc.set("backup", "new.owner");
                let edited = edited.and_then(|e| edit_root(&e, &[("backup", Some(&repr))]));
                assert_eq!(edited, Some(doc.to_string()), "different edit of:\n{src:?}");
            }
        }
        // A release, then a claim, as the pool writes them.
        let pooled = |s: &str| Some(toml_edit::Value::from(s));
        let date = Some(toml_edit::Value::from(crate::model::date::Date::parse("2026-11-20").unwrap().to_toml()));
        let release = [
            ("owner", pooled("@pool")),
            ("pool_released", date.clone()),
            ("pool_reason", pooled("no-touch")),
            ("pool_from", pooled("a")),
        ];
        let claim = [
            ("owner", pooled("b")),
            ("pool_released", None),
            ("pool_reason", None),
            ("pool_from", None),
            ("pool_claimed", date),
        ];
        same_edits(src, &release);
        same_edits(src, &claim);
        true
    }

    /// Asserts that [`edit_root`] of `edits`, when it answers, gives what
    /// the full editor gives; returns its answer.
    fn same_edits(src: &str, edits: &[(&str, Option<toml_edit::Value>)]) -> Option<String> {
        let reprs: Vec<(&str, Option<String>)> =
            edits.iter().map(|(k, v)| (*k, v.as_ref().map(ToString::to_string))).collect();
        let reprs: Vec<(&str, Option<&str>)> = reprs.iter().map(|(k, v)| (*k, v.as_deref())).collect();
        let mut doc = crate::model::document::Document::parse("customers/aa/x.toml", src).unwrap();
        for (key, value) in edits {
            match value {
                Some(v) => doc.set(key, v.clone()),
                None => {
                    doc.remove(key);
                }
            }
        }
        let text = edit_root(src, &reprs)?;
        assert_eq!(text, doc.to_string(), "different edit {reprs:?} of:\n{src:?}");
        Some(text)
    }

    #[test]
    fn releases_and_claims_edit_the_text_as_the_editor_does() {
        let src = "name = \"Acme\"\nowner = \"zhang.wei\"   # since 2019\nbackup = \"li.na\"\n\n# the deal\ntier = \"key\"\n\n[[touches]]\ndate = 2026-01-01\nby = \"x\"\nkind = \"call\"\n";
        let v = |s: &str| Some(toml_edit::Value::from(s));
        let date = Some(toml_edit::Value::from(crate::model::date::Date::parse("2026-11-20").unwrap().to_toml()));
        let released = same_edits(
            src,
            &[
                ("owner", v("@pool")),
                ("pool_released", date.clone()),
                ("pool_reason", v("manual")),
                ("pool_from", v("zhang.wei")),
            ],
        )
        .expect("a file in the format's order is edited as text");
        assert!(released.contains("backup = \"li.na\"\npool_released = 2026-11-20\npool_reason"), "{released}");
        let claimed = same_edits(
            &released,
            &[
                ("owner", v("chen.jie")),
                ("pool_released", None),
                ("pool_reason", None),
                ("pool_from", None),
                ("pool_claimed", date),
            ],
        )
        .expect("removing keys right below others is done as text");
        assert!(claimed.contains("backup = \"li.na\"\npool_claimed = 2026-11-20\n\n# the deal"), "{claimed}");
        // A key with a comment above it, or a file out of order: the editor's.
        assert_eq!(
            edit_root("name = \"A\"\nowner = \"b\"\n# why\npool_claimed = 2026-11-20\n", &[("pool_claimed", None)]),
            None
        );
        assert_eq!(edit_root("owner = \"b\"\nname = \"A\"\n", &[("pool_from", Some("\"b\""))]), None);
    }

    #[test]
    fn reads_what_crm_writes_and_hand_edits() {
        assert!(agrees(RICH));
        assert!(agrees(&RICH.replace("\r\n", "\n")));
        assert!(agrees("owner = \"a\"\nname = \"b\"\n"));
        assert!(agrees("name = \"b\"\nowner = \"a\"\ntags = []\nvalue = 0"));
    }

    #[test]
    fn leaves_everything_else_to_the_full_reader() {
        for src in [
            "name = \"b\"\nowner = 42\n",
            "name = \"b\"\nowner = \"a\"\nowner = \"c\"\n",
            "name = \"b\"\nowner = \"a\"\nfax = \"1\"\n",
            "name = \"b\"\nowner = \"a\"\nsince = 2026-02-30\n",
            "name = \"b\"\nowner = \"a\"\nvalue = -3\n",
            "name = \"\"\"b\"\"\"\nowner = \"a\"\n",
            "name = \"b\"\nowner = \"a\"\ncontacts = [{ name = \"c\" }]\n",
            "name = \"b\\e\"\nowner = \"a\"\n",
            "name = \"b\"\nowner = \"a\"\n[meta]\nx = 1\n",
            "name = \"b\"\r owner = \"a\"\n",
        ] {
            assert!(customer(&id(), src).is_none(), "{src:?}");
        }
    }

    #[test]
    fn agrees_with_the_full_reader_on_mutated_files() {
        let inserts =
            ['"', '\'', '=', '#', '[', ']', '\n', '\r', ' ', '\t', 'x', '1', '0', '-', '.', '_', '\\', ',', 'u', '{'];
        let mut answered = 0;
        let boundaries: Vec<usize> = (0..=RICH.len()).filter(|i| RICH.is_char_boundary(*i)).collect();
        for &i in &boundaries {
            if let Some(next) = boundaries.iter().find(|b| **b > i) {
                answered += usize::from(agrees(&format!("{}{}", &RICH[..i], &RICH[*next..])));
            }
            for c in inserts {
                answered += usize::from(agrees(&format!("{}{c}{}", &RICH[..i], &RICH[i..])));
            }
        }
        // The fast reader must still answer for most harmless edits.
        assert!(answered > 500, "fast reader answered only {answered} times");
    }
}
