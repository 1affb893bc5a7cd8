//! Customer files: crm's reader against toml 1.x and toml_edit, one file
//! after another on one core (the per-file cost), then on every core as
//! `crm check` reads them (the effect on the check row).

use std::hint::black_box;

use crm::model::customer::Customer;
use crm::model::CustomerId;
use rayon::prelude::*;
use serde::Deserialize;

use crate::{medians, print_table, timed, Args, Row};

/// The customer file as a serde struct: what a toml 1.x reader of the
/// same file would deserialize into.
#[derive(Deserialize)]
struct TomlCustomer {
    name: String,
    owner: String,
    backup: Option<String>,
    tier: Option<String>,
    status: Option<String>,
    region: Option<String>,
    since: Option<toml::value::Datetime>,
    value: Option<u64>,
    #[serde(default)]
    tags: Vec<String>,
    next_step: Option<String>,
    next_date: Option<toml::value::Datetime>,
    notes: Option<String>,
    #[serde(default)]
    contacts: Vec<TomlContact>,
    #[serde(default)]
    touches: Vec<TomlTouch>,
}

#[derive(Deserialize)]
struct TomlContact {
    name: String,
    title: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct TomlTouch {
    date: toml::value::Datetime,
    by: String,
    kind: String,
    summary: Option<String>,
}

/// Whether toml's answer is crm's (the same work was done).
fn same(c: &Customer, t: &TomlCustomer) -> bool {
    let date = |d: &Option<toml::value::Datetime>| d.as_ref().map(|d| d.to_string());
    c.name == t.name
        && c.owner == t.owner
        && c.backup == t.backup
        && c.tier == t.tier.clone().unwrap_or_else(|| "standard".into())
        && c.status == t.status.clone().unwrap_or_else(|| "active".into())
        && c.region == t.region
        && c.since.map(|d| d.to_string()) == date(&t.since)
        && c.value == t.value
        && c.tags == t.tags
        && c.next_step == t.next_step
        && c.next_date.map(|d| d.to_string()) == date(&t.next_date)
        && c.notes == t.notes
        && c.contacts.len() == t.contacts.len()
        && c.contacts
            .iter()
            .zip(&t.contacts)
            .all(|(a, b)| a.name == b.name && a.title == b.title && a.phone == b.phone && a.email == b.email)
        && c.touches.len() == t.touches.len()
        && c.touches.iter().zip(&t.touches).all(|(a, b)| {
            a.date.to_string() == b.date.to_string()
                && a.by == b.by
                && a.kind == b.kind
                && a.summary == b.summary.clone().unwrap_or_default()
        })
}

pub fn run(args: &Args) {
    let raw = crate::fixture::customers(&args.fixture, args.customers);
    let files: Vec<(CustomerId, String)> =
        raw.into_iter().map(|(id, text)| (CustomerId::parse(&id).expect("valid id"), text)).collect();
    let n = files.len();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let touches: usize = files.iter().map(|(_, t)| t.matches("[[touches]]").count()).sum();

    // The same answers: crm's fast reader answers every file (no fallback
    // to toml_edit), and toml 1.x reads the same customer from each.
    let mut fallbacks = 0;
    for (id, text) in &files {
        if crm::model::fastparse::customer(id, text).is_none() {
            fallbacks += 1;
        }
        let c = Customer::parse_all(id, text).customer.expect("crm reads the file");
        let t: TomlCustomer = toml::from_str(text).expect("toml reads the file");
        assert!(same(&c, &t), "toml 1.x and crm disagree on {id}");
    }

    type Parse = fn(&CustomerId, &str) -> bool;
    let impls: [(&str, Parse, &str); 7] = [
        (
            "crm Customer::parse_all (fast reader)",
            |id, s| Customer::parse_all(id, s).customer.is_some(),
            "what check, list and reports use",
        ),
        (
            "crm parse_all_slowly (toml_edit Document + schema)",
            |id, s| Customer::parse_all_slowly(id, s).customer.is_some(),
            "crm's full reader: spans, every problem",
        ),
        (
            "toml 1.x from_str::<struct> (serde)",
            |_, s| toml::from_str::<TomlCustomer>(s).is_ok(),
            "typed, first error only, no key positions",
        ),
        (
            "toml 1.x DeTable::parse (spans)",
            |_, s| toml::de::DeTable::parse(s).is_ok(),
            "syntax tree only, no customer",
        ),
        ("toml 1.x Table", |_, s| s.parse::<toml::Table>().is_ok(), "value tree only, no customer"),
        (
            "toml_edit 0.25 Document::parse",
            |_, s| toml_edit::Document::parse(s).is_ok(),
            "syntax tree only (crm's slow path starts here)",
        ),
        ("toml_edit 0.25 DocumentMut", |_, s| s.parse::<toml_edit::DocumentMut>().is_ok(), "editable document only"),
    ];
    let files = &files;
    let one_core = |parse: Parse| {
        move || {
            timed(|| {
                for (id, text) in files {
                    assert!(black_box(parse(black_box(id), black_box(text))));
                }
            })
            .1
        }
    };
    let mut jobs: Vec<Box<dyn FnMut() -> crate::Sample>> =
        impls.iter().map(|(_, parse, _)| Box::new(one_core(*parse)) as Box<dyn FnMut() -> _>).collect();
    let mut refs: Vec<&mut dyn FnMut() -> crate::Sample> = jobs.iter_mut().map(|j| j.as_mut() as _).collect();
    let times = medians(args.runs, &mut refs);
    let rows: Vec<Row> = impls
        .iter()
        .zip(times)
        .map(|((what, _, note), t)| Row { what: (*what).into(), median: t, items: n, note: (*note).into() })
        .collect();
    let source = format!("the work tree of {}", args.fixture.display());
    print_table(
        &format!(
            "Customer TOML, one core: {n} files ({:.1} MB, {:.1} touches a file, {source}); \
             crm's fast reader gave up on {fallbacks}",
            bytes as f64 / 1e6,
            touches as f64 / n as f64
        ),
        &rows,
    );

    // All cores, as `crm check` reads: the part of the check row.
    let threads = rayon::current_num_threads();
    let all_cores =
        |parse: Parse| move || timed(|| files.par_iter().for_each(|(id, text)| assert!(black_box(parse(id, text))))).1;
    let (mut a, mut b, mut c) = (all_cores(impls[0].1), all_cores(impls[1].1), all_cores(impls[2].1));
    let times = medians(args.runs, &mut [&mut a, &mut b, &mut c]);
    let rows: Vec<Row> = impls
        .iter()
        .zip(times)
        .map(|((what, _, _), t)| Row {
            what: (*what).into(),
            median: t,
            items: n,
            note: format!("{threads} threads (rayon)"),
        })
        .collect();
    print_table(&format!("Customer TOML, all cores: the same {n} files"), &rows);
}
