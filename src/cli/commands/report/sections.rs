//! The handover report's sections as tables of typed cells, shared by the
//! table, Markdown and HTML renderings: each cell says what it holds (an id,
//! a date, a number, an alarm), so a renderer styles it by its type, never
//! by reading its text.

use crate::cli::commands::short;
use crate::cli::render::{money, opt, Column, Tabular};
use crate::ops::report::handover::{HandoverReport, OwnershipEvent};

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Free text (names, reasons).
    Text,
    /// An id, handle or commit: never wrapped.
    Id,
    /// A date: never wrapped.
    Date,
    /// A count, amount or share: right-aligned.
    Number,
    /// Something that needs action now (overdue, above a limit).
    Alarm,
}

/// One cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// What it shows.
    pub text: String,
    /// What it holds.
    pub kind: CellKind,
}

/// A titled table of the report.
pub struct Section {
    /// Heading.
    pub title: &'static str,
    /// The columns: headers, and how each gives way on a narrow terminal.
    pub columns: Vec<Column>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// What to say when there are no rows.
    pub empty: &'static str,
}

impl Section {
    /// The rows as plain text (taken, not copied: the stale section of a
    /// large store has tens of thousands of rows).
    pub fn into_texts(self) -> Vec<Vec<String>> {
        self.rows.into_iter().map(|row| row.into_iter().map(|c| c.text).collect()).collect()
    }
}

fn cell(kind: CellKind, text: impl Into<String>) -> Cell {
    Cell { text: text.into(), kind }
}

fn text(s: impl Into<String>) -> Cell {
    cell(CellKind::Text, s)
}

fn id(s: impl Into<String>) -> Cell {
    cell(CellKind::Id, s)
}

fn date(s: impl ToString) -> Cell {
    cell(CellKind::Date, s.to_string())
}

fn number(s: impl ToString) -> Cell {
    cell(CellKind::Number, s.to_string())
}

fn amount(v: u64) -> Cell {
    number(money(Some(v), true))
}

fn percent(x: f64) -> Cell {
    number(format!("{:.0}%", x * 100.0))
}

/// Up to five ids, then how many more.
fn ids(list: &[String]) -> Cell {
    const SHOWN: usize = 5;
    let mut s = list.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > SHOWN {
        s.push_str(&format!(" and {} more", list.len() - SHOWN));
    }
    text(s)
}

/// The report's sections, in order, each built when it is reached (the
/// stale section of a large store has tens of thousands of rows: only one
/// section's cells are in memory at a time).
pub fn sections(r: &HandoverReport) -> impl Iterator<Item = Section> + '_ {
    const BUILDERS: [fn(&HandoverReport) -> Section; 16] = [
        pending,
        changes,
        self_assigned,
        unacknowledged,
        no_backup,
        stale,
        coverage,
        concentration,
        exposure,
        sabotage,
        touches_for_others,
        pool_released,
        pool_claimed,
        pool_limits,
        pool_bouncing,
        pool_oldest,
    ];
    BUILDERS.into_iter().map(move |build| build(r))
}

fn changes(r: &HandoverReport) -> Section {
    events("2. Ownership changes in the period", &r.changes, "No ownership changes.")
}

fn self_assigned(r: &HandoverReport) -> Section {
    events("2b. Customers managers gave to themselves", &r.self_assigned, "No manager gave a customer to themselves.")
}

fn pending(r: &HandoverReport) -> Section {
    let rows = r.pending.iter().map(|p| {
        let status = match (p.left, p.overdue) {
            (None, _) => cell(CellKind::Alarm, "OVERDUE (no last day recorded)"),
            (_, true) => cell(CellKind::Alarm, format!("OVERDUE by {} days", -p.days_left)),
            _ => text(format!("{} days left", p.days_left)),
        };
        vec![
            id(p.person.clone()),
            text(p.name.clone()),
            date(opt(&p.left)),
            date(opt(&p.deadline)),
            status,
            number(p.customers.len()),
            amount(p.value),
            ids(&p.customers),
        ]
    });
    Section {
        title: "1. Pending handovers",
        columns: vec![
            Column::token("person"),
            Column::name("name"),
            Column::token("left").optional(3),
            Column::token("deadline"),
            Column::prose("status"),
            Column::number("customers"),
            Column::number("value").optional(2),
            Column::prose("still owns").optional(1),
        ],
        rows: rows.collect(),
        empty: "No departed person still owns customers.",
    }
}

/// Ownership events, typed column by column as `crm log` shows them.
fn events(title: &'static str, list: &[OwnershipEvent], empty: &'static str) -> Section {
    use CellKind::{Date, Id, Text};
    const KINDS: [CellKind; 9] = [Date, Id, Text, Id, Id, Id, Id, Text, Text];
    let rows = list.iter().map(|e| e.cells(true).into_iter().zip(KINDS).map(|(t, k)| cell(k, t)).collect());
    Section { title, columns: OwnershipEvent::columns().to_vec(), rows: rows.collect(), empty }
}

fn unacknowledged(r: &HandoverReport) -> Section {
    let rows = r.unacknowledged.iter().map(|u| {
        vec![
            id(u.customer.clone()),
            text(u.name.clone()),
            id(u.owner.clone()),
            id(opt(&u.from)),
            date(u.reassigned),
            number(u.days),
        ]
    });
    Section {
        title: "3. Unacknowledged handovers",
        columns: vec![
            Column::token("customer"),
            Column::name("name"),
            Column::token("new owner"),
            Column::token("from").optional(1),
            Column::token("handed over").optional(2),
            Column::number("days without a touch"),
        ],
        rows: rows.collect(),
        empty: "Every recent handover has been followed up by its new owner.",
    }
}

fn no_backup(r: &HandoverReport) -> Section {
    let rows = r.no_backup.iter().map(|b| {
        vec![
            id(b.customer.clone()),
            text(b.name.clone()),
            id(b.owner.clone()),
            id(opt(&b.backup)),
            text(b.problem.label()),
            number(money(b.value, true)),
        ]
    });
    Section {
        title: "4. Key accounts without a valid backup",
        columns: vec![
            Column::token("customer"),
            Column::name("name"),
            Column::token("owner"),
            Column::token("backup").optional(2),
            Column::prose("problem"),
            Column::number("value").optional(1),
        ],
        rows: rows.collect(),
        empty: "Every key account has an active backup.",
    }
}

fn stale(r: &HandoverReport) -> Section {
    let rows = r.stale.iter().flat_map(|o| {
        o.customers.iter().map(|c| {
            vec![
                id(o.owner.clone()),
                id(c.id.clone()),
                text(c.name.clone()),
                date(c.last_touch.map_or("never".into(), |d| d.to_string())),
                number(opt(&c.days)),
            ]
        })
    });
    Section {
        title: "5a. Stale relationships",
        columns: vec![
            Column::token("owner"),
            Column::token("customer"),
            Column::name("name"),
            Column::token("last touch"),
            Column::number("days"),
        ],
        rows: rows.collect(),
        empty: "No stale relationships.",
    }
}

fn coverage(r: &HandoverReport) -> Section {
    let rows =
        r.coverage.iter().map(|c| vec![id(c.owner.clone()), number(c.customers), number(c.touched), percent(c.share)]);
    Section {
        title: "5b. Coverage (customers touched in the last 30 days)",
        columns: vec![
            Column::token("owner"),
            Column::number("customers"),
            Column::number("touched"),
            Column::number("coverage"),
        ],
        rows: rows.collect(),
        empty: "No customers.",
    }
}

fn concentration(r: &HandoverReport) -> Section {
    let rows = r.concentration.iter().map(|s| {
        vec![
            text(s.kind),
            id(s.name.clone()),
            number(s.customers),
            amount(s.value),
            percent(s.value_share),
            number(s.key_accounts),
            percent(s.key_share),
            if s.flagged { cell(CellKind::Alarm, "ABOVE LIMIT") } else { text("") },
        ]
    });
    Section {
        title: "6. Concentration",
        columns: vec![
            Column::token("by"),
            Column::token("name"),
            Column::number("customers"),
            Column::number("value"),
            Column::number("share of value"),
            Column::number("key accounts").optional(1),
            Column::number("share of key").optional(2),
            Column::token("flag"),
        ],
        rows: rows.collect(),
        empty: "No customers.",
    }
}

fn exposure(r: &HandoverReport) -> Section {
    let rows = r.exposure.iter().map(|e| {
        vec![
            text(e.region.clone()),
            text(e.people.join(", ")),
            number(e.customers.len()),
            amount(e.value),
            ids(&e.customers),
        ]
    });
    Section {
        title: "7. Exposure if a whole region left at once",
        columns: vec![
            Column::token("region"),
            Column::prose("people"),
            Column::number("customers orphaned"),
            Column::number("value"),
            Column::prose("which").optional(1),
        ],
        rows: rows.collect(),
        empty: "No region has active staff.",
    }
}

fn sabotage(r: &HandoverReport) -> Section {
    let rows = r.sabotage.iter().map(|s| {
        let commits: Vec<String> = s.commits.iter().map(|c| short(c).to_string()).collect();
        vec![
            date(s.from),
            date(s.to),
            id(s.actor.clone()),
            text(s.signature.label()),
            number(s.contacts_changed),
            ids(&s.customers_removed),
            ids(&commits),
        ]
    });
    Section {
        title: "8. Sabotage signals",
        columns: vec![
            Column::token("from"),
            Column::token("to"),
            Column::token("actor"),
            Column::token("signature").optional(2),
            Column::number("contacts changed"),
            Column::prose("customers removed"),
            Column::prose("commits").optional(1),
        ],
        rows: rows.collect(),
        empty: "No mass contact changes or deleted customers.",
    }
}

fn touches_for_others(r: &HandoverReport) -> Section {
    let rows = r.touches_for_others.iter().map(|t| {
        vec![date(t.date), id(short(&t.commit)), id(t.actor.clone()), id(t.customer.clone()), id(t.by.clone())]
    });
    Section {
        title: "8b. Touches logged in someone else's name",
        columns: vec![
            Column::token("date"),
            Column::token("commit").optional(1),
            Column::token("logged by"),
            Column::token("customer"),
            Column::token("touch by"),
        ],
        rows: rows.collect(),
        empty: "Every touch was logged by its author.",
    }
}

fn pool_released(r: &HandoverReport) -> Section {
    events("9a. Released to the pool in the period", &r.pool.released, "No customer went to the pool.")
}

fn pool_claimed(r: &HandoverReport) -> Section {
    events(
        "9b. Claimed or assigned from the pool in the period",
        &r.pool.claimed,
        "No customer was taken from the pool.",
    )
}

fn pool_limits(r: &HandoverReport) -> Section {
    let of = |n: usize, limit: Option<u32>| match limit {
        Some(l) if n >= l as usize => cell(CellKind::Alarm, format!("{n} of {l}")),
        Some(l) => number(format!("{n} of {l}")),
        None => number(n),
    };
    let rows = r
        .pool
        .limits
        .iter()
        .map(|l| vec![id(l.person.clone()), of(l.owned, l.owned_cap), of(l.claimed, l.claim_limit)]);
    Section {
        title: "9c. Pool limits reached",
        columns: vec![Column::token("person"), Column::number("owned"), Column::number("claimed in the claim period")],
        rows: rows.collect(),
        empty: "Nobody is at the claim limit or the cap on customers owned.",
    }
}

fn pool_bouncing(r: &HandoverReport) -> Section {
    let rows = r
        .pool
        .bouncing
        .iter()
        .map(|b| vec![id(b.customer.clone()), number(b.releases), text(b.from.join(", ")), id(opt(&b.owner))]);
    Section {
        title: "9d. Back and forth between the pool and reps (released twice or more in 90 days)",
        columns: vec![
            Column::token("customer"),
            Column::number("releases"),
            Column::prose("released from"),
            Column::token("held by now"),
        ],
        rows: rows.collect(),
        empty: "No customer went to the pool twice.",
    }
}

fn pool_oldest(r: &HandoverReport) -> Section {
    let rows = r.pool.oldest.iter().map(|w| {
        vec![
            id(w.customer.clone()),
            text(w.name.clone()),
            text(opt(&w.region)),
            date(opt(&w.released)),
            number(opt(&w.days)),
            text(opt(&w.reason)),
        ]
    });
    Section {
        title: "9e. Longest in the pool",
        columns: vec![
            Column::token("customer"),
            Column::name("name"),
            Column::token("region").optional(2),
            Column::token("released"),
            Column::number("days"),
            Column::token("why").optional(1),
        ],
        rows: rows.collect(),
        empty: "The pool is empty.",
    }
}
