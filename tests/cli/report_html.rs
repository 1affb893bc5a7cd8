//! The handover report's HTML as a mail client gets it: styles inline on
//! the elements (nothing depends on the `<style>` block), tables for
//! layout, charts made of table cells, no scripts or SVG, a viewport for
//! phones, the counts first, numbers right-aligned in tabular figures,
//! dates and ids unbroken, names beside ids, flags in words. (How it looks
//! in a browser at 1280 and 420 px: scripts/browser-check.sh.)

use crate::report_lang::store;

/// The tags of `html` named `name` (`<td …>`), whole.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    html.match_indices(&open)
        .map(|(at, _)| &html[at..at + html[at..].find('>').unwrap() + 1])
        .filter(|tag| tag[open.len()..].starts_with([' ', '>', '/']))
        .collect()
}

#[test]
fn the_html_report_carries_its_styles_inline_and_reads_on_a_phone() {
    let repo = store();
    let html = repo.crm(&["report", "handover", "--format", "html"]).ok().stdout;
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"), "{html}");
    for forbidden in ["<script", "<svg", "flex", "<div class=\"charts\"", "@import", "http://", "https://"] {
        assert!(!html.contains(forbidden), "{forbidden}\n{html}");
    }
    let body = &html[html.find("<body").unwrap()..];
    for name in ["body", "table", "td", "th", "h1", "h2", "p"] {
        let found = tags(body, name);
        assert!(!found.is_empty(), "no <{name}>");
        for tag in found {
            assert!(tag.contains(" style=\""), "<{name}> without an inline style: {tag}");
        }
    }
    // The counts come first, then the charts, then the sections.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing\n{html}"));
    assert!(
        at("At a glance") < at("data-chart=\"value-per-owner\"")
            && at("data-chart=\"changes-per-week\"") < at("1. Pending handovers")
    );
    // Two charts made of table cells, each with a bar per row that has a value.
    assert_eq!(html.matches("<td class=\"bar\" bgcolor=").count(), 2 + 1, "two owners, one week with changes\n{html}");
    // Numbers right-aligned in tabular figures; dates unbroken.
    assert!(
        html.contains("text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;\">125,000</td>"),
        "{html}"
    );
    assert!(html.contains("white-space:nowrap;\">2026-12-10</td>"), "{html}");
    // A Chinese name beside its id; the pending person's name beside the handle.
    assert!(html.contains(">郑州宇通客运集团</span>"), "{html}");
    assert!(html.contains(">王芳</span> <span style=\"color:#616e7c;font-size:12px;white-space:nowrap\">"), "{html}");
    // A flag is a word (and a sign), not a colour alone.
    assert!(html.contains("⚠ needs action"), "{html}");
    assert!(html.contains("color:#b3261e;\">⚠ missing</td>"), "{html}");
}
