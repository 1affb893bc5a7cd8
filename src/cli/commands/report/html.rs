//! The reports as HTML that survives e-mail: a mail client may drop a
//! `<style>` block, SVG, flexbox and scripts, and a manager reads it on a
//! phone. So every element carries its style inline, the layout is tables,
//! the charts are table cells, and a page reads in one column at 420 px:
//! a row keeps the few cells that matter (a name beside its id, a date, a
//! count) and puts the rest on a line below it. Numbers are right-aligned
//! in tabular figures, dates and ids never wrap, and every flag is a word,
//! not a colour alone. The page is well-formed XML (every tag closed,
//! every text escaped) with no external assets.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::handover::summary;
use super::sections::{sections, Cell, CellKind, Place, Section};
use crate::cli::i18n::Catalog;
use crate::cli::render::escape;
use crate::ops::report::handover::HandoverReport;

/// The text colour, and the quieter one for ids, headers and notes.
const INK: &str = "#1f2933";
const QUIET: &str = "#616e7c";
/// The colour of alarms (always with words).
const ALARM: &str = "#b3261e";
/// The bars of the charts.
const BAR: &str = "#2f6fb0";
const FONTS: &str = "-apple-system,'Segoe UI',Roboto,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans',Arial,sans-serif";

/// For browsers, repeating what the elements say inline: only the margins
/// of a phone's screen differ.
const STYLE: &str = "body{margin:0;padding:0}@media (max-width:480px){.page{padding:12px 8px !important}}";

/// Escapes text for HTML (after making control characters visible).
pub fn text(s: &str) -> String {
    escape(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page: `lang`'s `title`, then `body` in a centred column.
pub fn document(cat: &Catalog, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"color-scheme\" content=\"light\"/>\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body style=\"margin:0;padding:0;background:#eef1f5;color:{INK};font-family:{FONTS};-webkit-text-size-adjust:100%\">\n\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;border-collapse:collapse;background:#eef1f5\"><tr><td align=\"center\" style=\"padding:0\">\n\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;max-width:760px;border-collapse:collapse;background:#ffffff\"><tr><td class=\"page\" style=\"padding:20px 16px;text-align:left\">\n\
         {body}</td></tr></table>\n</td></tr></table>\n</body>\n</html>\n",
        lang = cat.lang().id(),
        title = text(title),
    )
}

/// `s` escaped, with its dates (`2026-11-26`) kept whole on a line.
fn dated(s: &str) -> String {
    let escaped = text(s);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(at) = rest.char_indices().map(|(i, _)| i).find(|&i| is_date(&rest[i..])) {
        out.push_str(&rest[..at]);
        out.push_str(&format!("<span style=\"white-space:nowrap\">{}</span>", &rest[at..at + 10]));
        rest = &rest[at + 10..];
    }
    out.push_str(rest);
    out
}

/// Whether `s` starts with a date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// The page's heading and the line under it.
pub fn heading(title: &str, note: &str) -> String {
    format!(
        "<h1 style=\"margin:0 0 4px;font-size:20px;line-height:1.3;font-weight:bold;color:{INK}\">{}</h1>\n\
         <p style=\"margin:0 0 16px;font-size:13px;line-height:1.4;color:{QUIET}\">{}</p>\n",
        dated(title),
        dated(note)
    )
}

/// A section heading.
pub fn h2(title: &str) -> String {
    format!(
        "<h2 style=\"margin:28px 0 6px;padding:0 0 4px;font-size:16px;line-height:1.3;font-weight:bold;color:{INK};border-bottom:2px solid #d3dae3\">{}</h2>\n",
        text(title)
    )
}

/// Text that stands out as a warning, in words and colour, before anything
/// else: `title`, then `body` as it was written (line breaks kept).
pub fn warning(title: &str, body: &str) -> String {
    let lines: Vec<String> = body.lines().map(text).collect();
    format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;border-collapse:collapse;margin:0 0 16px\"><tr>\
         <td style=\"padding:10px 12px;background:#fdecea;border:2px solid {ALARM};color:{INK}\">\n\
         <p style=\"margin:0 0 6px;font-size:15px;line-height:1.4;font-weight:bold;color:{ALARM}\">⚠ {}</p>\n\
         <div style=\"margin:0;font-family:Menlo,Consolas,'Noto Sans Mono CJK SC',monospace;font-size:12px;line-height:1.45;word-break:break-word;overflow-wrap:anywhere\">{}</div>\n\
         </td></tr></table>\n",
        text(title),
        lines.join("<br/>\n")
    )
}

/// Counts with their labels, one per line; those that need action are
/// marked in words (`flag`) as well as colour.
pub fn counts(items: &[(String, usize, bool)], flag: &str) -> String {
    let mut out = String::from(
        "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"border-collapse:collapse;margin:0 0 8px;font-size:14px;line-height:1.4\">\n",
    );
    for (label, count, alarm) in items {
        let (color, weight, note) = match alarm {
            true => (ALARM, "bold", format!("⚠ {}", text(flag))),
            false => (INK, "normal", String::new()),
        };
        out.push_str(&format!(
            "<tr><td style=\"padding:3px 10px 3px 0;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;font-weight:bold;font-size:16px;color:{color}\">{count}</td>\
             <td style=\"padding:3px 8px 3px 0;color:{color};font-weight:{weight}\">{}</td>\
             <td style=\"padding:3px 0;color:{ALARM};font-weight:bold;font-size:12px;white-space:nowrap\">{note}</td></tr>\n",
            text(label)
        ));
    }
    out.push_str("</table>\n");
    out
}

/// A horizontal bar chart made of table cells: a label (and the name
/// beside it), a bar as wide as its share of the largest value, the value.
pub fn bars(id: &str, title: &str, items: &[(String, Option<String>, u64)], label: impl Fn(u64) -> String) -> String {
    let max = items.iter().map(|(_, _, v)| *v).max().unwrap_or(0).max(1);
    let mut out = format!(
        "<p style=\"margin:16px 0 4px;font-size:14px;font-weight:bold;color:{INK}\">{}</p>\n\
         <table class=\"chart\" data-chart=\"{id}\" role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;border-collapse:collapse;font-size:12px;line-height:1.3\">\n",
        text(title)
    );
    for (key, name, value) in items {
        let percent = (*value as f64 / max as f64 * 100.0).round() as u64;
        let bar = match percent {
            0 => "&#160;".to_string(),
            p => format!(
                "<table role=\"presentation\" width=\"{p}%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:{p}%;border-collapse:collapse\"><tr>\
                 <td class=\"bar\" bgcolor=\"{BAR}\" style=\"background:{BAR};height:14px;font-size:1px;line-height:1px\">&#160;</td></tr></table>"
            ),
        };
        out.push_str(&format!(
            "<tr><td style=\"padding:3px 8px 3px 0;white-space:nowrap;vertical-align:middle\">{}</td>\
             <td style=\"width:100%;padding:3px 0;vertical-align:middle\">{bar}</td>\
             <td style=\"padding:3px 0 3px 8px;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;vertical-align:middle\">{}</td></tr>\n",
            name_and_id(name.as_deref(), key),
            text(&label(*value))
        ));
    }
    out.push_str("</table>\n");
    out
}

/// A name, and the id it stands for beside it, quieter (or the id alone).
fn name_and_id(name: Option<&str>, id: &str) -> String {
    let id = format!("<span style=\"color:{QUIET};font-size:12px;white-space:nowrap\">{}</span>", text(id));
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("<span style=\"font-weight:bold\">{}</span> {id}", text(name)),
        None => id,
    }
}

/// The inline style of a cell that holds `kind`.
fn style(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Text => "",
        CellKind::Id | CellKind::Date => "white-space:nowrap;",
        CellKind::Number => "text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;",
        CellKind::Alarm => "font-weight:bold;color:#b3261e;",
    }
}

/// What a cell shows: an id with the name beside it, a list in names,
/// an alarm with its sign.
fn content(cell: &Cell) -> String {
    match (cell.kind, &cell.names) {
        (CellKind::Id, Some(name)) => name_and_id(Some(name), &cell.text),
        (_, Some(names)) => text(names),
        (CellKind::Alarm, None) => format!("⚠ {}", text(&cell.text)),
        (_, None) => text(&cell.text),
    }
}

/// A section: its heading, then a table whose rows hold the columns placed
/// in the row, and under each a line with the others (header, value), or
/// the section's empty text.
pub fn section(s: &Section) -> String {
    let mut out = h2(&s.title);
    if s.rows.is_empty() {
        out.push_str(&note(&s.empty));
        return out;
    }
    let in_row: Vec<usize> = (0..s.columns.len()).filter(|&i| s.places[i] == Place::Row).collect();
    out.push_str(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;border-collapse:collapse;font-size:13px;line-height:1.4\">\n<tr>",
    );
    for &i in &in_row {
        let align = if s.columns[i].right { "right" } else { "left" };
        out.push_str(&format!(
            "<th style=\"padding:4px 6px;text-align:{align};font-size:12px;font-weight:bold;color:{QUIET};border-bottom:1px solid #9aa5b1;vertical-align:bottom\">{}</th>",
            text(&s.columns[i].header)
        ));
    }
    out.push_str("</tr>\n");
    for row in &s.rows {
        out.push_str(&row_html(s, row, in_row.len()));
    }
    out.push_str("</table>\n");
    if let Some(more) = &s.note {
        out.push_str(&note(more));
    }
    out
}

/// A quiet line of text (a section's empty text, what a table left out).
pub fn note(s: &str) -> String {
    format!("<p style=\"margin:6px 0;font-size:13px;font-style:italic;color:{QUIET}\">{}</p>\n", text(s))
}

/// One row of a section, and the line below it when it has more to say.
fn row_html(s: &Section, row: &[Cell], width: usize) -> String {
    let mut cells: Vec<(CellKind, String)> = Vec::new();
    let mut below: Vec<String> = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        match s.places[i] {
            // An id with a name beside it may break between the two.
            Place::Row if cell.kind == CellKind::Id && cell.names.is_some() => {
                cells.push((CellKind::Text, content(cell)))
            }
            Place::Row => cells.push((cell.kind, content(cell))),
            // A name beside the id before it, the name first.
            Place::Beside => {
                if let Some(last) = cells.last_mut().filter(|_| !cell.text.is_empty()) {
                    *last = (
                        CellKind::Text,
                        format!("<span style=\"font-weight:bold\">{}</span> {}", text(&cell.text), quiet(&last.1)),
                    );
                }
            }
            Place::Below if cell.text.is_empty() => {}
            Place::Below => below.push(format!(
                "<span style=\"color:{QUIET};white-space:nowrap\">{}</span> <span style=\"{}color:{INK}\">{}</span>",
                text(&s.columns[i].header),
                style(cell.kind),
                content(cell)
            )),
        }
    }
    let border = "border-top:1px solid #e4e7eb;";
    let mut out = String::from("<tr>");
    for (kind, html) in &cells {
        out.push_str(&format!(
            "<td style=\"padding:6px 6px {};vertical-align:top;{border}{}\">{html}</td>",
            if below.is_empty() { "6px" } else { "2px" },
            style(*kind)
        ));
    }
    out.push_str("</tr>\n");
    if !below.is_empty() {
        out.push_str(&format!(
            "<tr><td colspan=\"{width}\" style=\"padding:0 6px 6px;font-size:12px;line-height:1.5;color:{QUIET}\">{}</td></tr>\n",
            below.join(" &#183; ")
        ));
    }
    out
}

/// An id cell's text made quieter, to stand beside a name.
fn quiet(html: &str) -> String {
    format!("<span style=\"color:{QUIET};font-size:12px;white-space:nowrap\">{html}</span>")
}

/// A line at the end saying what made the page.
pub fn footer(note: &str) -> String {
    format!(
        "<p style=\"margin:28px 0 0;padding:8px 0 0;border-top:1px solid #e4e7eb;font-size:11px;color:{QUIET}\">{}</p>\n",
        text(note)
    )
}

/// The handover report as one page, in `cat`'s language, with `warning`
/// (text to read before anything else) at the top.
pub fn page(r: &HandoverReport, cat: &Catalog, warning_text: Option<&str>) -> String {
    let args = [
        ("company", r.company.as_str().into()),
        ("since", r.since.to_string().into()),
        ("until", r.until.to_string().into()),
    ];
    let title = cat.with("handover-title", &args);
    let as_of =
        cat.with("handover-as-of", &[("today", r.today.to_string().into()), ("currency", r.currency.as_str().into())]);
    let mut body = heading(&title, &as_of);
    if let Some(w) = warning_text {
        body.push_str(&warning(&cat.text("warning-title"), w));
    }
    let figures: Vec<(String, usize, bool)> =
        summary(r).iter().map(|&(id, n, alarm)| (cat.text(id), n, alarm)).collect();
    body.push_str(&h2(&cat.text("summary-title")));
    body.push_str(&counts(&figures, &cat.text("summary-needs-action")));
    body.push_str(&value_per_owner(r, cat));
    body.push_str(&changes_per_week(r, cat));
    for s in sections(r, cat) {
        body.push_str(&section(&s));
    }
    body.push_str(&footer(&cat.with("handover-footer", &[("today", r.today.to_string().into())])));
    document(cat, &title, &body)
}

fn value_per_owner(r: &HandoverReport, cat: &Catalog) -> String {
    let items: Vec<(String, Option<String>, u64)> = r
        .concentration
        .iter()
        .filter(|s| s.kind == "owner")
        .map(|s| (s.name.clone(), r.people.get(&s.name).cloned(), s.value))
        .collect();
    bars("value-per-owner", &cat.text("chart-value-per-owner"), &items, |v| cat.amount(v))
}

fn changes_per_week(r: &HandoverReport, cat: &Catalog) -> String {
    let mut weeks: BTreeMap<String, u64> = BTreeMap::new();
    let mut day = r.since;
    while day <= r.until {
        let w = day.0.iso_week();
        weeks.entry(format!("{}-W{:02}", w.year(), w.week())).or_default();
        day = day.plus_days(7);
    }
    for e in &r.changes {
        let w = e.date.0.iso_week();
        *weeks.entry(format!("{}-W{:02}", w.year(), w.week())).or_default() += 1;
    }
    let items: Vec<(String, Option<String>, u64)> = weeks.into_iter().map(|(w, n)| (w, None, n)).collect();
    bars("changes-per-week", &cat.text("chart-changes-per-week"), &items, |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_headings_do_not_wrap() {
        assert_eq!(
            dated("报告 2026-11-12 至 2026-11-26 <x>"),
            "报告 <span style=\"white-space:nowrap\">2026-11-12</span> 至 \
             <span style=\"white-space:nowrap\">2026-11-26</span> &lt;x&gt;"
        );
        assert_eq!(dated("W47 2026-1"), "W47 2026-1");
    }
}
