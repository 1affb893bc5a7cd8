//! The handover report as one self-contained HTML page: inline CSS, inline
//! SVG charts (value per owner, ownership changes per week), no external
//! assets, so it can be mailed or archived as a single file. The page is
//! well-formed XML (every tag closed, every text escaped).

use std::collections::BTreeMap;

use chrono::Datelike;

use super::sections::{sections, CellKind};
use crate::cli::i18n::Catalog;
use crate::cli::render::escape;
use crate::ops::report::handover::HandoverReport;

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}.empty{color:#666;font-style:italic}.charts{display:flex;flex-wrap:wrap;gap:2em}\
.bad{color:#b00020;font-weight:bold}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
.nw{white-space:nowrap}svg text{font-size:11px}";

/// Escapes text for HTML (after making control characters visible).
fn text(s: &str) -> String {
    escape(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The whole page.
pub fn page(r: &HandoverReport, cat: &Catalog) -> String {
    let args = [
        ("company", r.company.as_str().into()),
        ("since", r.since.to_string().into()),
        ("until", r.until.to_string().into()),
    ];
    let title = cat.with("handover-title", &args);
    let as_of =
        cat.with("handover-as-of", &[("today", r.today.to_string().into()), ("currency", r.currency.as_str().into())]);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        cat.lang().id(),
        text(&title),
        text(&title),
        text(&as_of),
    );
    out.push_str("<div class=\"charts\">\n");
    out.push_str(&value_per_owner(r, cat));
    out.push_str(&changes_per_week(r, cat));
    out.push_str("</div>\n");
    for s in sections(r, cat) {
        out.push_str(&format!("<h2>{}</h2>\n", text(&s.title)));
        if s.rows.is_empty() {
            out.push_str(&format!("<p class=\"empty\">{}</p>\n", text(&s.empty)));
            continue;
        }
        out.push_str("<table>\n<tr>");
        for h in s.columns.iter().map(|c| &c.header) {
            out.push_str(&format!("<th>{}</th>", text(h)));
        }
        out.push_str("</tr>\n");
        for row in &s.rows {
            out.push_str("<tr>");
            for cell in row {
                let class = match cell.kind {
                    CellKind::Text => "",
                    CellKind::Id | CellKind::Date => " class=\"nw\"",
                    CellKind::Number => " class=\"num\"",
                    CellKind::Alarm => " class=\"bad\"",
                };
                out.push_str(&format!("<td{class}>{}</td>", text(&cell.text)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A horizontal bar chart.
fn bars(title: &str, items: &[(String, u64)], label: impl Fn(u64) -> String) -> String {
    const BAR: usize = 18;
    let width = 520;
    let left = 140;
    let height = 30 + items.len() * BAR;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">\n<text x=\"0\" y=\"14\" font-weight=\"bold\">{}</text>\n",
        text(title),
        text(title)
    );
    for (i, (name, value)) in items.iter().enumerate() {
        let y = 24 + i * BAR;
        let w = (*value as f64 / max as f64 * (width - left - 90) as f64).round() as u64;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"#3b6ea5\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            y + 12,
            text(name),
            BAR - 4,
            left as u64 + w + 4,
            y + 12,
            text(&label(*value))
        ));
    }
    svg.push_str("</svg>\n</figure>\n");
    svg
}

fn value_per_owner(r: &HandoverReport, cat: &Catalog) -> String {
    let items: Vec<(String, u64)> =
        r.concentration.iter().filter(|s| s.kind == "owner").map(|s| (s.name.clone(), s.value)).collect();
    bars(&cat.text("chart-value-per-owner"), &items, |v| cat.amount(v))
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
    let items: Vec<(String, u64)> = weeks.into_iter().collect();
    bars(&cat.text("chart-changes-per-week"), &items, |v| v.to_string())
}
