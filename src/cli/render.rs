//! Rendering outcomes as tables (comfy-table, width-aware for CJK text,
//! fitted to the terminal by [`super::fit`]), JSON, CSV or Markdown. Every
//! cell is data: control characters and terminal escape sequences are
//! shown escaped, never sent raw.

use comfy_table::{presets, Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

pub use super::fit::Column;
use super::fit::{fit, truncate, Give};
use super::terminal::{self, paint};

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

/// Something shown as rows: the columns and one row's cells.
pub trait Tabular: Serialize {
    /// The columns: headers, and how each gives way on a narrow terminal.
    fn columns() -> &'static [Column];
    /// This row's cells, in header order; `human` asks for numbers grouped
    /// for reading (tables, Markdown) rather than raw (CSV).
    fn cells(&self, human: bool) -> Vec<String>;
}

/// Renders rows in `format`.
pub fn rows<T: Tabular>(items: &[T], format: Format) -> String {
    match format {
        Format::Json => json(&items),
        _ => grid(T::columns(), items.iter().map(|i| i.cells(format != Format::Csv)).collect(), format),
    }
}

/// Renders columns and rows of cells in a table, CSV or Markdown format.
pub fn grid(columns: &[Column], cells: Vec<Vec<String>>, format: Format) -> String {
    let headers: Vec<&str> = columns.iter().map(|c| c.header.as_ref()).collect();
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(&headers);
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
            let settings = terminal::settings();
            table(columns, cells, settings.width, settings.color)
        }
    }
}

/// Rows drawn by one comfy-table at a time. The stale section of a large
/// store has tens of thousands of rows, and comfy-table keeps copies of
/// every cell and every drawn line until the whole table is a string.
const ROWS_PER_PIECE: usize = 1024;

/// A table in `width` terminal columns if given (see [`super::fit`]),
/// with a last line naming the columns left out to fit.
fn table(columns: &[Column], cells: Vec<Vec<String>>, width: Option<usize>, color: bool) -> String {
    table_in_pieces(columns, cells, width, color, ROWS_PER_PIECE)
}

/// [`table`], drawn `rows_per_piece` rows at a time: every column's width
/// is fixed before the first row is drawn (fitted to the terminal, else as
/// wide as its widest line, which is what comfy-table would choose), so
/// the pieces line up, and each piece's borders where two meet are left
/// out.
fn table_in_pieces(
    columns: &[Column],
    cells: Vec<Vec<String>>,
    width: Option<usize>,
    color: bool,
    rows_per_piece: usize,
) -> String {
    // Escaped in place, not copied.
    let escape_owned = |c: String| if c.chars().any(char::is_control) { escape(&c) } else { c };
    let cells: Vec<Vec<String>> = cells.into_iter().map(|row| row.into_iter().map(escape_owned).collect()).collect();
    let fitted = match width {
        Some(width) => fit(columns, &cells, width),
        None => super::fit::Fitted { shown: (0..columns.len()).collect(), widths: Vec::new(), dropped: Vec::new() },
    };
    let widths: Vec<usize> = match width {
        Some(_) => fitted.widths.clone(),
        None => fitted.shown.iter().map(|&i| natural_width(&columns[i].header, &cells, i)).collect(),
    };
    let pieces = cells.len().div_ceil(rows_per_piece).max(1);
    let mut rows = cells.into_iter();
    let mut out = String::new();
    for n in 0..pieces {
        let table = piece(columns, &fitted, &widths, rows.by_ref().take(rows_per_piece), n == 0, width, color);
        let drawn = table.to_string();
        let mut lines: Vec<&str> = drawn.split('\n').collect();
        // The bottom border of all but the last piece, the top border of
        // all but the first.
        if n + 1 < pieces {
            lines.pop();
        }
        for line in lines.into_iter().skip(usize::from(n > 0)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let (false, Some(width)) = (fitted.dropped.is_empty(), width) {
        let note = format!("({} left out to fit the terminal; --wide shows every column)", fitted.dropped.join(", "));
        for line in wrap_words(&note, width) {
            out.push_str(&paint(color, "2", &line));
            out.push('\n');
        }
    }
    out
}

/// One piece of a table: `rows` (the first piece with the header) in the
/// columns `fitted` shows, each `widths` wide.
fn piece(
    columns: &[Column],
    fitted: &super::fit::Fitted,
    widths: &[usize],
    rows: impl Iterator<Item = Vec<String>>,
    header: bool,
    width: Option<usize>,
    color: bool,
) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if header {
        let cell = |c: &Column| match color {
            true => Cell::new(&c.header).add_attribute(Attribute::Bold),
            false => Cell::new(&c.header),
        };
        table.set_header(fitted.shown.iter().map(|&i| cell(&columns[i])));
    }
    for mut row in rows {
        table.add_row(fitted.shown.iter().enumerate().map(|(p, &i)| {
            let text = row.get_mut(i).map(std::mem::take).unwrap_or_default();
            match fitted.widths.get(p) {
                Some(&w) if columns[i].give == Give::Truncate => truncate(&text, w),
                _ => text,
            }
        }));
    }
    if let Some(width) = width {
        table.set_content_arrangement(ContentArrangement::Dynamic);
        table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
    }
    for (p, &i) in fitted.shown.iter().enumerate() {
        let Some(column) = table.column_mut(p) else { continue };
        let fixed = Width::Fixed(u16::try_from(widths[p] + 2).unwrap_or(u16::MAX));
        column.set_constraint(ColumnConstraint::Absolute(fixed));
        if columns[i].right {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// The width comfy-table gives column `i` by itself: its widest line,
/// header included, and at least 1.
fn natural_width(header: &str, cells: &[Vec<String>], i: usize) -> usize {
    let widest = |s: &str| s.split('\n').map(UnicodeWidthStr::width).max().unwrap_or(0);
    cells.iter().filter_map(|row| row.get(i)).map(|c| widest(c)).chain([widest(header)]).max().unwrap_or(0).max(1)
}

/// A line of text for a table's surroundings (a heading, a note), broken
/// between words to fit the terminal, with a final newline.
pub fn line(text: &str) -> String {
    match terminal::settings().width {
        Some(width) => wrap_words(text, width).join("\n") + "\n",
        None => format!("{text}\n"),
    }
}

/// `text` in lines of at most `width` columns, broken between words.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.width() + 1 + word.width() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// The columns of a record shown as one field per row.
pub const FIELDS: [Column; 2] = [Column::token("field"), Column::prose("value")];

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
    fn a_table_drawn_in_pieces_is_the_table_drawn_whole() {
        let columns =
            [Column::token("Id"), Column::name("Name"), Column::number("Value"), Column::prose("Why").optional(1)];
        let names = ["郑州宇通客运集团有限公司", "Acme", "", "Ünïcode GmbH & Co. KG of a long name", "x"];
        let cells: Vec<Vec<String>> = (0..23)
            .map(|n| {
                let why = "a reason in several words ".repeat(n % 4);
                vec![format!("id-{n}"), names[n % names.len()].to_string(), money(Some(n as u64 * 997), true), why]
            })
            .collect();
        for width in [None, Some(40), Some(60), Some(200)] {
            for color in [false, true] {
                let whole = table_in_pieces(&columns, cells.clone(), width, color, usize::MAX);
                for per_piece in [1, 5, 22, 23] {
                    let pieces = table_in_pieces(&columns, cells.clone(), width, color, per_piece);
                    assert_eq!(pieces, whole, "width {width:?}, color {color}, {per_piece} rows a piece");
                }
            }
        }
        let empty = table_in_pieces(&columns, Vec::new(), None, false, 5);
        assert_eq!(empty.lines().count(), 4, "{empty}");
    }

    #[test]
    fn markdown_escapes_pipes() {
        let out = grid(&[Column::token("a")], vec![vec!["x|y".into()]], Format::Md);
        assert!(out.contains("x\\|y"));
    }
}
