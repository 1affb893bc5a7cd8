//! Rendering outcomes as tables (comfy-table, width-aware for CJK text),
//! JSON, CSV or Markdown. Every cell is data: control characters and
//! terminal escape sequences are shown escaped, never sent raw.

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

/// An output format for read commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned table for people.
    #[default]
    Table,
    /// JSON: the stable machine interface.
    Json,
    /// CSV with a header row.
    Csv,
    /// Markdown table.
    Md,
}

/// Something shown as rows: the column names and one row's cells.
pub trait Tabular: Serialize {
    /// Column headers.
    fn headers() -> &'static [&'static str];
    /// This row's cells, in header order; `human` asks for numbers grouped
    /// for reading (tables, Markdown) rather than raw (CSV).
    fn cells(&self, human: bool) -> Vec<String>;
}

/// Renders rows in `format`.
pub fn rows<T: Tabular>(items: &[T], format: Format) -> String {
    match format {
        Format::Json => json(&items),
        _ => grid(T::headers(), items.iter().map(|i| i.cells(format != Format::Csv)).collect(), format),
    }
}

/// Renders a header and rows of cells in a table, CSV or Markdown format.
pub fn grid(headers: &[&str], cells: Vec<Vec<String>>, format: Format) -> String {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(headers);
            for row in &cells {
                let _ = w.write_record(row.iter().map(|c| escape_keeping_newlines(c)));
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Md => {
            let mut out = format!("| {} |\n|{}\n", headers.join(" | "), " --- |".repeat(headers.len()));
            for row in cells {
                let row: Vec<String> = row.iter().map(|c| escape(c).replace('|', "\\|")).collect();
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            out
        }
        Format::Table | Format::Json => {
            let mut table = Table::new();
            table.load_style(presets::UTF8_FULL_CONDENSED);
            table.set_content_arrangement(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                ContentArrangement::Dynamic
            } else {
                ContentArrangement::Disabled
            });
            table.set_header(headers.iter().copied());
            for row in cells {
                table.add_row(row.iter().map(|c| escape(c)));
            }
            format!("{table}\n")
        }
    }
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Shows control characters (ESC, CR, BEL, …) as escapes so that data can
/// never move the cursor, change colours or set a terminal's title.
pub fn escape(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' => "⏎ ".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// [`escape`] keeping line breaks, for formats that carry them safely
/// (CSV cells, XML text).
pub fn escape_keeping_newlines(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// An optional value as a cell.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// An amount; for people with thousands separators (12,000,000).
pub fn money(v: Option<u64>, human: bool) -> String {
    let Some(v) = v else { return String::new() };
    let digits = v.to_string();
    if !human {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_control() {
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape("plain 中文"), "plain 中文");
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(Some(12_000_000), true), "12,000,000");
        assert_eq!(money(Some(12_000_000), false), "12000000");
        assert_eq!(money(Some(999), true), "999");
        assert_eq!(money(None, true), "");
    }

    #[test]
    fn markdown_escapes_pipes() {
        let out = grid(&["a"], vec![vec!["x|y".into()]], Format::Md);
        assert!(out.contains("x\\|y"));
    }
}
