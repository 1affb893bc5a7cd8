//! Reading a parsed TOML document into typed fields while collecting every
//! problem with its position, so that one run reports all of them (a wrong
//! type on line 2 and another on line 3), not only the first.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::date::Date;
use super::rule_ids::CheckRule;
use crate::Error;

/// One thing wrong with a file, at a position in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The rule it breaks (`toml-syntax`, `wrong-type`, `missing-key`, …).
    pub rule: CheckRule,
    /// 1-based line (1 when the whole file is concerned).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Problem {
    /// Turns this problem into the library error for the file at `path`.
    pub fn into_error(self, path: &str) -> Error {
        Error::Malformed { path: path.to_string(), line: self.line, column: self.column, message: self.message }
    }
}

/// 1-based line and column of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// 1-based line and column of the first byte of `bytes` that is not UTF-8,
/// at `valid_up_to` (everything before it is UTF-8).
pub fn utf8_error_at(bytes: &[u8], valid_up_to: usize) -> (usize, usize) {
    let before = std::str::from_utf8(&bytes[..valid_up_to.min(bytes.len())]).unwrap_or_default();
    line_col(before, before.len())
}

/// Parses TOML text, turning a syntax error into a positioned [`Problem`].
pub fn parse(src: &str) -> Result<Document<&str>, Problem> {
    Document::parse(src).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(src, s.start));
        let mut message = one_line(e.message());
        // toml_edit names the duplicated key only by its span: name it.
        if message == "duplicate key" {
            if let Some(key) = e.span().and_then(|s| src.get(s)).map(str::trim).filter(|k| !k.is_empty()) {
                message = format!("duplicate key `{key}`");
            }
        }
        let rule = if message.contains("date") { CheckRule::InvalidDate } else { CheckRule::TomlSyntax };
        Problem { rule, line, column, message }
    })
}

/// A parser message on one line: `invalid string; expected `"`, `'``.
pub fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Deserializes a whole TOML file with serde, for records whose schema is
/// checked by serde alone (staff files, crm.toml).
pub fn from_toml<T: serde::de::DeserializeOwned>(path: &str, src: &str) -> crate::Result<T> {
    toml::from_str(src).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(src, s.start));
        let message = one_line(e.message());
        Problem { rule: CheckRule::WrongType, line, column, message }.into_error(path)
    })
}

/// A table being read field by field, collecting problems on the way.
pub struct Reader<'a> {
    src: &'a str,
    table: &'a dyn TableLike,
    span: Option<Range<usize>>,
    /// Problems found so far.
    pub problems: Vec<Problem>,
    /// Unknown keys found in child tables so far.
    warnings: Vec<Problem>,
    /// Byte offsets of the keys read, by dotted path (`touches[2].by`).
    pub offsets: Vec<(String, usize)>,
    prefix: String,
    /// Keys read so far, to find the unknown ones.
    seen: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    /// Starts reading `table` (spanning `span` of `src`).
    pub fn new(src: &'a str, table: &'a dyn TableLike, span: Option<Range<usize>>) -> Self {
        Reader {
            src,
            table,
            span,
            problems: Vec::new(),
            warnings: Vec::new(),
            offsets: Vec::new(),
            prefix: String::new(),
            seen: Vec::new(),
        }
    }

    fn position(&self, item: Option<&Item>) -> (usize, usize) {
        let span = item.and_then(|i| i.span()).or_else(|| self.span.clone());
        span.map_or((1, 1), |s| line_col(self.src, s.start))
    }

    /// Reports a problem at `key` (or at the table when it is absent).
    pub fn problem(&mut self, key: &str, rule: CheckRule, message: String) {
        self.problem_at(key, rule, message);
    }

    fn problem_at(&mut self, key: &str, rule: CheckRule, message: String) {
        let key_span = self.table.key(key).and_then(|k| k.span());
        let (line, column) = match key_span {
            Some(s) => line_col(self.src, s.start),
            None => self.position(self.table.get(key)),
        };
        self.problems.push(Problem { rule, line, column, message });
    }

    fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.push(key);
        let (k, item) = self.table.get_key_value(key)?;
        if let Some(span) = k.span() {
            self.offsets.push((format!("{}{key}", self.prefix), span.start));
        }
        match item {
            Item::Value(v) => Some(v),
            Item::None => None,
            _ => {
                self.problem_at(key, CheckRule::WrongType, format!("`{key}` must be a value, not a table"));
                None
            }
        }
    }

    fn typed<T>(&mut self, key: &'static str, kind: &str, get: impl Fn(&'a Value) -> Option<T>) -> Option<T> {
        let v = self.value(key)?;
        let got = get(v);
        if got.is_none() {
            let found = v.type_name();
            self.problem_at(key, CheckRule::WrongType, format!("`{key}` must be {kind}, found {found}"));
        }
        got
    }

    /// An optional string.
    pub fn opt_str(&mut self, key: &'static str) -> Option<String> {
        self.typed(key, "a string", |v| v.as_str().map(str::to_string))
    }

    /// A required string.
    pub fn req_str(&mut self, key: &'static str) -> String {
        if self.table.contains_key(key) {
            return self.opt_str(key).unwrap_or_default();
        }
        self.seen.push(key);
        let (line, column) = self.position(None);
        self.problems.push(Problem {
            rule: CheckRule::MissingKey,
            line,
            column,
            message: format!("missing required key `{key}`"),
        });
        String::new()
    }

    /// An optional non-negative integer.
    pub fn opt_u64(&mut self, key: &'static str) -> Option<u64> {
        let n = self.typed(key, "an integer", Value::as_integer)?;
        if n < 0 {
            self.problem_at(key, CheckRule::InvalidValue, format!("`{key}` must not be negative, found {n}"));
            return None;
        }
        Some(n as u64)
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, key: &'static str) -> Option<bool> {
        self.typed(key, "true or false", Value::as_bool)
    }

    /// An optional date.
    pub fn opt_date(&mut self, key: &'static str) -> Option<Date> {
        let dt = self.typed(key, "a date like 2026-11-01", Value::as_datetime)?;
        match Date::from_toml(dt) {
            Ok(d) => Some(d),
            Err(msg) => {
                self.problem_at(key, CheckRule::InvalidDate, format!("`{key}`: {msg}"));
                None
            }
        }
    }

    /// A required date.
    pub fn req_date(&mut self, key: &'static str) -> Option<Date> {
        if !self.table.contains_key(key) {
            self.req_str(key);
            return None;
        }
        self.opt_date(key)
    }

    /// An optional array of strings (empty when absent).
    pub fn str_array(&mut self, key: &'static str) -> Vec<String> {
        let Some(arr) = self.typed(key, "an array of strings", Value::as_array) else {
            return Vec::new();
        };
        let strings: Option<Vec<String>> = arr.iter().map(|v| v.as_str().map(str::to_string)).collect();
        strings.unwrap_or_else(|| {
            self.problem_at(key, CheckRule::WrongType, format!("`{key}` must be an array of strings"));
            Vec::new()
        })
    }

    /// An optional array of tables (`[[key]]` or an inline array of inline
    /// tables), each read by `read`.
    pub fn tables<T>(&mut self, key: &'static str, read: impl Fn(&mut Reader<'a>) -> T) -> Vec<T> {
        self.seen.push(key);
        let children: Vec<(&'a dyn TableLike, Option<Range<usize>>)> = match self.table.get(key) {
            None => return Vec::new(),
            Some(Item::ArrayOfTables(a)) => a.iter().map(|t| (t as &dyn TableLike, t.span())).collect(),
            Some(Item::Value(Value::Array(a))) if a.iter().all(|v| v.as_inline_table().is_some()) => {
                a.iter().filter_map(Value::as_inline_table).map(|t| (t as &dyn TableLike, t.span())).collect()
            }
            Some(_) => {
                self.problem_at(key, CheckRule::WrongType, format!("`{key}` must be an array of tables ([[{key}]])"));
                return Vec::new();
            }
        };
        children
            .into_iter()
            .enumerate()
            .map(|(i, (t, span))| self.read_child(format!("{key}[{i}]."), t, span, &read))
            .collect()
    }

    fn read_child<T>(
        &mut self,
        prefix: String,
        table: &'a dyn TableLike,
        span: Option<Range<usize>>,
        read: &impl Fn(&mut Reader<'a>) -> T,
    ) -> T {
        let mut child = Reader::new(self.src, table, span);
        child.prefix = format!("{}{prefix}", self.prefix);
        let value = read(&mut child);
        let (mut errors, mut warnings, mut offsets) = child.finish();
        self.problems.append(&mut errors);
        self.warnings.append(&mut warnings);
        self.offsets.append(&mut offsets);
        value
    }

    /// Ends reading: the errors, the warnings (unknown keys here and in
    /// child tables) and the key offsets.
    pub fn finish(mut self) -> (Vec<Problem>, Vec<Problem>, Vec<(String, usize)>) {
        let mut warnings = self.unknown_keys();
        warnings.append(&mut self.warnings);
        (self.problems, warnings, self.offsets)
    }

    /// Keys present in the table that were never read, as warnings.
    fn unknown_keys(&self) -> Vec<Problem> {
        let prefix = &self.prefix;
        self.table
            .iter()
            .filter(|(k, _)| !self.seen.contains(k))
            .map(|(k, _)| {
                let span = self.table.key(k).and_then(|key| key.span());
                let (line, column) = span.map_or((1, 1), |s| line_col(self.src, s.start));
                Problem {
                    rule: CheckRule::UnknownKey,
                    line,
                    column,
                    message: format!("unknown key `{prefix}{k}` (kept as is)"),
                }
            })
            .collect()
    }
}
