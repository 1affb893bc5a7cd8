//! The handover report's sections as tables of typed cells, shared by the
//! table, Markdown and HTML renderings and worded from the message catalog:
//! each cell says what it holds (an id, a date, a number, an alarm), so a
//! renderer styles it by its type, never by reading its text; each column
//! says where a narrow HTML page puts it (in the row, on the line below
//! it, or beside the id before it).

use crate::cli::commands::short;
use crate::cli::i18n::Catalog;
use crate::cli::render::{self, opt, Column, Format, Tabular};
use crate::ops::report::handover::{HandoverReport, OwnershipEvent, COVERAGE_DAYS, NO_REGION};
use Place::{Below, Beside, Row};

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
    /// Something that needs action now (overdue, above a limit), in words.
    Alarm,
}

/// One cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// What it shows.
    pub text: String,
    /// What it holds.
    pub kind: CellKind,
    /// The same in customers' names, where the text gives only ids (an
    /// id, a list of ids): HTML shows it beside or instead of the ids.
    pub names: Option<String>,
}

/// Where the HTML rendering, one column on a phone, puts a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A cell of the row.
    Row,
    /// On the line below the row, after its header.
    Below,
    /// Beside the cell before it (a name beside its id).
    Beside,
}

/// A titled table of the report.
pub struct Section {
    /// Heading.
    pub title: String,
    /// The columns: headers, and how each gives way on a narrow terminal.
    pub columns: Vec<Column>,
    /// Where a narrow page puts each column.
    pub places: Vec<Place>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// What to say when there are no rows.
    pub empty: String,
    /// What to say after the rows (what was left out of them).
    pub note: Option<String>,
}

impl Section {
    /// The rows as plain text (taken, not copied: the stale section of a
    /// large store has tens of thousands of rows).
    fn into_texts(self) -> Vec<Vec<String>> {
        self.rows.into_iter().map(|row| row.into_iter().map(|c| c.text).collect()).collect()
    }

    /// The section for a terminal: its title, then its table or its empty
    /// text.
    pub fn table(self) -> String {
        let mut out = render::line(&self.title);
        if self.rows.is_empty() {
            out.push_str(&render::line(&format!("  {}", self.empty)));
        } else {
            let note = self.note.clone();
            let columns = self.columns.clone();
            out.push_str(&render::grid(&columns, self.into_texts(), Format::Table));
            if let Some(note) = note {
                out.push_str(&render::line(&note));
            }
        }
        out
    }

    /// The section in Markdown: a heading, then its table or its empty text.
    pub fn markdown(self) -> String {
        let mut out = format!("## {}\n\n", self.title);
        if self.rows.is_empty() {
            out.push_str(&format!("_{}_\n", self.empty));
        } else {
            let note = self.note.clone();
            let columns = self.columns.clone();
            out.push_str(&render::grid(&columns, self.into_texts(), Format::Md));
            if let Some(note) = note {
                out.push_str(&format!("\n_{}_\n", render::escape(&note)));
            }
        }
        out
    }
}

/// A cell holding `kind`.
fn cell(kind: CellKind, text: impl Into<String>) -> Cell {
    Cell { text: text.into(), kind, names: None }
}

/// A cell of free text.
pub fn text(s: impl Into<String>) -> Cell {
    cell(CellKind::Text, s)
}

/// A cell holding an id.
pub fn id(s: impl Into<String>) -> Cell {
    cell(CellKind::Id, s)
}

/// A cell holding a date.
pub fn date(s: impl ToString) -> Cell {
    cell(CellKind::Date, s.to_string())
}

fn number(s: impl ToString) -> Cell {
    cell(CellKind::Number, s.to_string())
}

fn percent(x: f64) -> Cell {
    number(format!("{:.0}%", x * 100.0))
}

/// The words of one report in one language, with the report's names.
struct Words<'a> {
    cat: &'a Catalog,
    r: &'a HandoverReport,
}

impl Words<'_> {
    fn amount(&self, v: u64) -> Cell {
        number(self.cat.amount(v))
    }

    /// A customer's id, with its name where the report knows it.
    fn customer(&self, customer: &str) -> Cell {
        Cell { names: self.r.names.get(customer).cloned(), ..id(customer) }
    }

    /// A person's handle, with their name where the report knows it.
    fn person(&self, handle: &str) -> Cell {
        Cell { names: self.r.people.get(handle).cloned(), ..id(handle) }
    }

    /// Up to five ids, then how many more; with their names where known.
    fn ids(&self, list: &[String]) -> Cell {
        const SHOWN: usize = 5;
        let join = |items: Vec<&str>| {
            let s = items.join(", ");
            match list.len().checked_sub(SHOWN).filter(|&more| more > 0) {
                Some(more) => self.cat.with("list-and-more", &[("list", s.into()), ("count", more.into())]),
                None => s,
            }
        };
        let shown = &list[..list.len().min(SHOWN)];
        let names = shown.iter().map(|i| self.r.names.get(i).map_or(i.as_str(), String::as_str)).collect();
        let names = shown.iter().any(|i| self.r.names.contains_key(i)).then(|| join(names));
        Cell { names, ..text(join(shown.iter().map(String::as_str).collect())) }
    }

    /// A section from its title's and empty text's messages.
    fn section(&self, title: String, layout: Vec<(Column, Place)>, rows: Vec<Vec<Cell>>, empty: &str) -> Section {
        let (columns, places) = layout.into_iter().map(|(c, p)| (self.cat.column(&c), p)).unzip();
        Section { title, columns, places, rows, empty: self.cat.text(empty), note: None }
    }
}

/// The report's sections, in order, each built when it is reached (the
/// stale section of a large store has tens of thousands of rows: only one
/// section's cells are in memory at a time), in `cat`'s language. The files
/// left out come first, and only when there are any: everything below is
/// without them.
pub fn sections<'a>(r: &'a HandoverReport, cat: &'a Catalog) -> impl Iterator<Item = Section> + 'a {
    const BUILDERS: [fn(&Words) -> Section; 16] = [
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
    let left_out = (!r.unreadable.is_empty()).then(|| unreadable(&Words { cat, r }));
    left_out.into_iter().chain(BUILDERS.into_iter().map(move |build| build(&Words { cat, r })))
}

fn unreadable(w: &Words) -> Section {
    let rows = w.r.unreadable.iter().map(|u| {
        let at = u.line.zip(u.column).map(|(l, c)| format!("{l}:{c}")).unwrap_or_default();
        vec![id(u.path.clone()), id(at), text(u.reason.clone())]
    });
    let layout = vec![(Column::token("file"), Row), (Column::token("position"), Row), (Column::prose("reason"), Below)];
    w.section(w.cat.text("section-unreadable"), layout, rows.collect(), "empty-unreadable")
}

fn changes(w: &Words) -> Section {
    events(w, "section-changes", &w.r.changes, "empty-changes")
}

fn self_assigned(w: &Words) -> Section {
    events(w, "section-self-assigned", &w.r.self_assigned, "empty-self-assigned")
}

fn pending(w: &Words) -> Section {
    let rows = w.r.pending.iter().map(|p| {
        let days = |n: i64| [("days", n.into())];
        let status = match (p.left, p.overdue) {
            (None, _) => cell(CellKind::Alarm, w.cat.text("pending-no-last-day")),
            (_, true) => cell(CellKind::Alarm, w.cat.with("pending-overdue", &days(-p.days_left))),
            _ => text(w.cat.with("pending-days-left", &days(p.days_left))),
        };
        vec![
            id(p.person.clone()),
            text(p.name.clone()),
            date(opt(&p.left)),
            date(opt(&p.deadline)),
            status,
            number(p.customers.len()),
            w.amount(p.value),
            w.ids(&p.customers),
        ]
    });
    let layout = vec![
        (Column::token("person"), Row),
        (Column::name("name"), Beside),
        (Column::token("left").optional(3), Below),
        (Column::token("deadline"), Row),
        (Column::prose("status"), Row),
        (Column::number("customers"), Row),
        (Column::number("value").optional(2), Below),
        (Column::prose("still owns").optional(1), Below),
    ];
    w.section(w.cat.text("section-pending"), layout, rows.collect(), "empty-pending")
}

/// Ownership events, typed column by column as `crm log` shows them, their
/// action and signature in words of the catalog.
fn events(w: &Words, title: &str, list: &[OwnershipEvent], empty: &str) -> Section {
    use CellKind::{Date, Id, Text};
    const KINDS: [CellKind; 9] = [Date, Id, Text, Id, Id, Id, Id, Text, Text];
    const PLACES: [Place; 9] = [Row, Below, Below, Row, Below, Row, Below, Below, Below];
    let rows = list.iter().map(|e| {
        let mut texts = e.cells(true);
        texts[2] = w.cat.word("action", e.action.label());
        texts[7] = w.cat.word("signature", e.signature.label());
        // A release's reason: why, in the catalog's words, and crm's own
        // text for a due release (a person's text stays as written).
        if let Some(why) = &e.pool_reason {
            let said = match e.reason.as_deref() {
                Some(crate::ops::pool::release::DUE_REASON) => w.cat.text("pool-due-by-rules"),
                other => other.unwrap_or_default().to_string(),
            };
            let why = w.cat.word("pool-reason", why);
            texts[8] = if said.is_empty() { why } else { format!("{why}: {said}") };
        }
        let mut cells: Vec<Cell> = texts.into_iter().zip(KINDS).map(|(t, k)| cell(k, t)).collect();
        cells[3] = w.customer(&e.customer);
        cells
    });
    let layout = OwnershipEvent::columns().iter().cloned().zip(PLACES).collect();
    w.section(w.cat.text(title), layout, rows.collect(), empty)
}

fn unacknowledged(w: &Words) -> Section {
    let rows = w.r.unacknowledged.iter().map(|u| {
        vec![
            id(u.customer.clone()),
            text(u.name.clone()),
            id(u.owner.clone()),
            id(opt(&u.from)),
            date(u.reassigned),
            number(u.days),
        ]
    });
    let layout = vec![
        (Column::token("customer"), Row),
        (Column::name("name"), Beside),
        (Column::token("new owner"), Row),
        (Column::token("from").optional(1), Below),
        (Column::token("handed over").optional(2), Below),
        (Column::number("days without a touch"), Row),
    ];
    w.section(w.cat.text("section-unacknowledged"), layout, rows.collect(), "empty-unacknowledged")
}

fn no_backup(w: &Words) -> Section {
    let rows = w.r.no_backup.iter().map(|b| {
        vec![
            id(b.customer.clone()),
            text(b.name.clone()),
            id(b.owner.clone()),
            id(opt(&b.backup)),
            cell(CellKind::Alarm, w.cat.word("backup", b.problem.label())),
            number(b.value.map(|v| w.cat.amount(v)).unwrap_or_default()),
        ]
    });
    let layout = vec![
        (Column::token("customer"), Row),
        (Column::name("name"), Beside),
        (Column::token("owner"), Row),
        (Column::token("backup").optional(2), Below),
        (Column::prose("problem"), Row),
        (Column::number("value").optional(1), Below),
    ];
    w.section(w.cat.text("section-no-backup"), layout, rows.collect(), "empty-no-backup")
}

fn stale(w: &Words) -> Section {
    let never = w.cat.text("never");
    let rows = w.r.stale.iter().flat_map(|o| {
        let never = &never;
        o.customers.iter().map(move |c| {
            vec![
                id(o.owner.clone()),
                id(c.id.clone()),
                text(c.name.clone()),
                date(c.last_touch.map_or(never.clone(), |d| d.to_string())),
                number(opt(&c.days)),
            ]
        })
    });
    let layout = vec![
        (Column::token("owner"), Row),
        (Column::token("customer"), Row),
        (Column::name("name"), Beside),
        (Column::token("last touch"), Below),
        (Column::number("days"), Row),
    ];
    w.section(w.cat.text("section-stale"), layout, rows.collect(), "empty-stale")
}

fn coverage(w: &Words) -> Section {
    let rows =
        w.r.coverage
            .iter()
            .map(|c| vec![id(c.owner.clone()), number(c.customers), number(c.touched), percent(c.share)]);
    let layout = vec![
        (Column::token("owner"), Row),
        (Column::number("customers"), Row),
        (Column::number("touched"), Row),
        (Column::number("coverage"), Row),
    ];
    let title = w.cat.with("section-coverage", &[("days", COVERAGE_DAYS.into())]);
    w.section(title, layout, rows.collect(), "empty-customers")
}

fn concentration(w: &Words) -> Section {
    let rows = w.r.concentration.iter().map(|s| {
        let name = match s.kind {
            "owner" => w.person(&s.name),
            _ if s.name == NO_REGION => id(w.cat.text("no-region")),
            _ => id(s.name.clone()),
        };
        vec![
            text(w.cat.word("share", s.kind)),
            name,
            number(s.customers),
            w.amount(s.value),
            percent(s.value_share),
            number(s.key_accounts),
            percent(s.key_share),
            if s.flagged { cell(CellKind::Alarm, w.cat.text("flag-above-limit")) } else { text("") },
        ]
    });
    let layout = vec![
        (Column::token("by"), Row),
        (Column::token("name"), Row),
        (Column::number("customers"), Below),
        (Column::number("value"), Row),
        (Column::number("share of value"), Row),
        (Column::number("key accounts").optional(1), Below),
        (Column::number("share of key").optional(2), Below),
        (Column::token("flag"), Row),
    ];
    w.section(w.cat.text("section-concentration"), layout, rows.collect(), "empty-customers")
}

fn exposure(w: &Words) -> Section {
    let rows = w.r.exposure.iter().map(|e| {
        vec![
            text(e.region.clone()),
            text(e.people.join(", ")),
            number(e.customers.len()),
            w.amount(e.value),
            w.ids(&e.customers),
        ]
    });
    let layout = vec![
        (Column::token("region"), Row),
        (Column::prose("people"), Below),
        (Column::number("customers orphaned"), Row),
        (Column::number("value"), Row),
        (Column::prose("which").optional(1), Below),
    ];
    w.section(w.cat.text("section-exposure"), layout, rows.collect(), "empty-exposure")
}

fn sabotage(w: &Words) -> Section {
    let rows = w.r.sabotage.iter().map(|s| {
        let commits: Vec<String> = s.commits.iter().map(|c| short(c).to_string()).collect();
        vec![
            date(s.from),
            date(s.to),
            id(s.actor.clone()),
            text(w.cat.word("signature", s.signature.label())),
            number(s.contacts_changed),
            w.ids(&s.customers_removed),
            w.ids(&commits),
        ]
    });
    let layout = vec![
        (Column::token("from"), Row),
        (Column::token("to"), Row),
        (Column::token("actor"), Row),
        (Column::token("signature").optional(2), Below),
        (Column::number("contacts changed"), Row),
        (Column::prose("customers removed"), Below),
        (Column::prose("commits").optional(1), Below),
    ];
    w.section(w.cat.text("section-sabotage"), layout, rows.collect(), "empty-sabotage")
}

fn touches_for_others(w: &Words) -> Section {
    let rows = w.r.touches_for_others.iter().map(|t| {
        vec![date(t.date), id(short(&t.commit)), id(t.actor.clone()), w.customer(&t.customer), id(t.by.clone())]
    });
    let layout = vec![
        (Column::token("date"), Below),
        (Column::token("commit").optional(1), Below),
        (Column::token("logged by"), Row),
        (Column::token("customer"), Row),
        (Column::token("touch by"), Row),
    ];
    w.section(w.cat.text("section-touches-for-others"), layout, rows.collect(), "empty-touches-for-others")
}

fn pool_released(w: &Words) -> Section {
    events(w, "section-pool-released", &w.r.pool.released, "empty-pool-released")
}

fn pool_claimed(w: &Words) -> Section {
    events(w, "section-pool-claimed", &w.r.pool.claimed, "empty-pool-claimed")
}

fn pool_limits(w: &Words) -> Section {
    let of = |n: usize, limit: Option<u32>| match limit {
        Some(l) => {
            let shown = w.cat.with("pool-of-limit", &[("count", n.into()), ("limit", (l as usize).into())]);
            if n >= l as usize {
                cell(CellKind::Alarm, shown)
            } else {
                number(shown)
            }
        }
        None => number(n),
    };
    let rows =
        w.r.pool
            .limits
            .iter()
            .map(|l| vec![id(l.person.clone()), of(l.owned, l.owned_cap), of(l.claimed, l.claim_limit)]);
    let layout = vec![
        (Column::token("person"), Row),
        (Column::number("owned"), Row),
        (Column::number("claimed in the claim period"), Row),
    ];
    w.section(w.cat.text("section-pool-limits"), layout, rows.collect(), "empty-pool-limits")
}

fn pool_bouncing(w: &Words) -> Section {
    let rows =
        w.r.pool
            .bouncing
            .iter()
            .map(|b| vec![w.customer(&b.customer), number(b.releases), text(b.from.join(", ")), id(opt(&b.owner))]);
    let layout = vec![
        (Column::token("customer"), Row),
        (Column::number("releases"), Row),
        (Column::prose("released from"), Below),
        (Column::token("held by now"), Row),
    ];
    w.section(w.cat.text("section-pool-bouncing"), layout, rows.collect(), "empty-pool-bouncing")
}

fn pool_oldest(w: &Words) -> Section {
    let rows = w.r.pool.oldest.iter().map(|o| {
        vec![
            id(o.customer.clone()),
            text(o.name.clone()),
            text(opt(&o.region)),
            date(opt(&o.released)),
            number(opt(&o.days)),
            text(o.reason.as_deref().map(|r| w.cat.word("pool-reason", r)).unwrap_or_default()),
        ]
    });
    let layout = vec![
        (Column::token("customer"), Row),
        (Column::name("name"), Beside),
        (Column::token("region").optional(2), Below),
        (Column::token("released"), Row),
        (Column::number("days"), Row),
        (Column::token("why").optional(1), Below),
    ];
    w.section(w.cat.text("section-pool-oldest"), layout, rows.collect(), "empty-pool-oldest")
}
