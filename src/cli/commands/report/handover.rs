//! `crm report handover`.

use super::html;
use crate::cli::commands::short;
use crate::cli::ctx::{print, skipped, Ctx};
use crate::cli::error::{CliError, CliResult, FOUND_PROBLEMS};
use crate::cli::render::{self, escape, json, money, opt, Format, Tabular};
use crate::model::date::Date;
use crate::ops::report::handover::{self, Condition, HandoverReport, OwnershipEvent};

/// The handover report: departures, ownership changes and risks (for cron)
///
/// Sections: pending handovers, ownership changes in the period, unacknowledged
/// handovers, key accounts without a valid backup, stale relationships and
/// coverage, concentration, regional exposure, sabotage signals. `md` reads
/// well as an email; `html` is one self-contained page with charts. With
/// --fail-on, exits 1 when any named section has entries.
///
/// Example: crm report handover --since 7d --format md --fail-on overdue,unacknowledged,no-backup
#[derive(clap::Args, Debug)]
pub struct HandoverArgs {
    /// Start of the period: a date or a duration back (default: 7d)
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    since: String,
    /// End of the period (default: today)
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Exit 1 when any of these sections has entries: pending, overdue,
    /// unacknowledged, no-backup, stale, concentration, exposure, sabotage
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = str::parse::<Condition>)]
    fail_on: Vec<Condition>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

/// Formats of the handover report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Tables for the terminal
    Table,
    /// Markdown, ready to mail
    Md,
    /// JSON
    Json,
    /// A self-contained HTML page with charts
    Html,
}

/// A titled table of the report.
pub struct Section {
    /// Heading.
    pub title: &'static str,
    /// Column names.
    pub headers: &'static [&'static str],
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// What to say when there are no rows.
    pub empty: &'static str,
}

/// Runs `crm report handover`.
pub fn run(ctx: &mut Ctx, args: HandoverArgs) -> CliResult {
    let today = ctx.today;
    let since = Date::parse_when(&args.since, today)?;
    let until = args.until.as_deref().map(|u| Date::parse_when(u, today)).transpose()?.unwrap_or(today);
    if since > until {
        return Err(CliError::usage(format!("the period ends ({until}) before it starts ({since})")));
    }
    let store = ctx.store()?;
    let report = handover::run(store, since, until, today, &store.gpg())?;
    let text = match args.format {
        ReportFormat::Json => json(&report),
        ReportFormat::Html => html::page(&report, &sections(&report)),
        ReportFormat::Md => markdown(&report),
        ReportFormat::Table => table(&report),
    };
    print(&text)?;
    skipped(&report.unreadable)?;
    let names: Vec<&str> = args.fail_on.iter().filter(|c| report.has(**c)).map(|c| c.id()).collect();
    if names.is_empty() {
        return Ok(());
    }
    ctx.status(format!("action needed: {}", names.join(", ")));
    Err(CliError { code: FOUND_PROBLEMS, message: String::new(), hint: None })
}

fn heading(r: &HandoverReport) -> String {
    format!("Handover report — {} — {} to {} (as of {})", r.company, r.since, r.until, r.today)
}

fn table(r: &HandoverReport) -> String {
    let mut out = format!("{}\n", heading(r));
    for s in sections(r) {
        out.push_str(&format!("\n{}\n", s.title));
        if s.rows.is_empty() {
            out.push_str(&format!("  {}\n", s.empty));
        } else {
            out.push_str(&render::grid(s.headers, s.rows, Format::Table));
        }
    }
    out
}

fn markdown(r: &HandoverReport) -> String {
    let mut out = format!("# {}\n\n", escape(&heading(r)));
    let summary = [
        ("pending handovers", r.pending.len()),
        ("overdue", r.pending.iter().filter(|p| p.overdue).count()),
        ("ownership changes", r.changes.len()),
        ("unacknowledged", r.unacknowledged.len()),
        ("key accounts without backup", r.no_backup.len()),
        ("sabotage signals", r.sabotage.len()),
        ("self-assignments by managers", r.self_assigned.len()),
    ];
    let line: Vec<String> = summary.iter().map(|(k, v)| format!("**{v}** {k}")).collect();
    out.push_str(&format!("{}\n", line.join(" · ")));
    for s in sections(r) {
        out.push_str(&format!("\n## {}\n\n", s.title));
        if s.rows.is_empty() {
            out.push_str(&format!("_{}_\n", s.empty));
        } else {
            out.push_str(&render::grid(s.headers, s.rows, Format::Md));
        }
    }
    out
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn ids(list: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = list.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > SHOWN {
        s.push_str(&format!(" and {} more", list.len() - SHOWN));
    }
    s
}

/// The report's sections as tables, shared by the table, Markdown and HTML
/// renderings.
pub fn sections(r: &HandoverReport) -> Vec<Section> {
    let m = |v: u64| money(Some(v), true);
    vec![
        Section {
            title: "1. Pending handovers",
            headers: &["person", "name", "left", "deadline", "status", "customers", "value", "still owns"],
            rows: r
                .pending
                .iter()
                .map(|p| {
                    let status = if p.left.is_none() {
                        "OVERDUE (no last day recorded)".to_string()
                    } else if p.overdue {
                        format!("OVERDUE by {} days", -p.days_left)
                    } else {
                        format!("{} days left", p.days_left)
                    };
                    vec![
                        p.person.clone(),
                        p.name.clone(),
                        opt(&p.left),
                        opt(&p.deadline),
                        status,
                        p.customers.len().to_string(),
                        m(p.value),
                        ids(&p.customers),
                    ]
                })
                .collect(),
            empty: "No departed person still owns customers.",
        },
        Section {
            title: "2. Ownership changes in the period",
            headers: OwnershipEvent::headers(),
            rows: r.changes.iter().map(|e| e.cells(true)).collect(),
            empty: "No ownership changes.",
        },
        Section {
            title: "2b. Customers managers gave to themselves",
            headers: OwnershipEvent::headers(),
            rows: r.self_assigned.iter().map(|e| e.cells(true)).collect(),
            empty: "No manager gave a customer to themselves.",
        },
        Section {
            title: "3. Unacknowledged handovers",
            headers: &["customer", "name", "new owner", "from", "handed over", "days without a touch"],
            rows: r
                .unacknowledged
                .iter()
                .map(|u| {
                    vec![
                        u.customer.clone(),
                        u.name.clone(),
                        u.owner.clone(),
                        opt(&u.from),
                        u.reassigned.to_string(),
                        u.days.to_string(),
                    ]
                })
                .collect(),
            empty: "Every recent handover has been followed up by its new owner.",
        },
        Section {
            title: "4. Key accounts without a valid backup",
            headers: &["customer", "name", "owner", "backup", "problem", "value"],
            rows: r
                .no_backup
                .iter()
                .map(|b| {
                    vec![
                        b.customer.clone(),
                        b.name.clone(),
                        b.owner.clone(),
                        opt(&b.backup),
                        b.problem.clone(),
                        money(b.value, true),
                    ]
                })
                .collect(),
            empty: "Every key account has an active backup.",
        },
        Section {
            title: "5a. Stale relationships",
            headers: &["owner", "customer", "name", "last touch", "days"],
            rows: r
                .stale
                .iter()
                .flat_map(|o| {
                    o.customers.iter().map(|c| {
                        vec![
                            o.owner.clone(),
                            c.id.clone(),
                            c.name.clone(),
                            c.last_touch.map_or("never".into(), |d| d.to_string()),
                            opt(&c.days),
                        ]
                    })
                })
                .collect(),
            empty: "No stale relationships.",
        },
        Section {
            title: "5b. Coverage (customers touched in the last 30 days)",
            headers: &["owner", "customers", "touched", "coverage"],
            rows: r
                .coverage
                .iter()
                .map(|c| vec![c.owner.clone(), c.customers.to_string(), c.touched.to_string(), percent(c.share)])
                .collect(),
            empty: "No customers.",
        },
        Section {
            title: "6. Concentration",
            headers: &["by", "name", "customers", "value", "share of value", "key accounts", "share of key", "flag"],
            rows: r
                .concentration
                .iter()
                .map(|s| {
                    vec![
                        s.kind.into(),
                        s.name.clone(),
                        s.customers.to_string(),
                        m(s.value),
                        percent(s.value_share),
                        s.key_accounts.to_string(),
                        percent(s.key_share),
                        if s.flagged { "ABOVE LIMIT".into() } else { String::new() },
                    ]
                })
                .collect(),
            empty: "No customers.",
        },
        Section {
            title: "7. Exposure if a whole region left at once",
            headers: &["region", "people", "customers orphaned", "value", "which"],
            rows: r
                .exposure
                .iter()
                .map(|e| {
                    vec![
                        e.region.clone(),
                        e.people.join(", "),
                        e.customers.len().to_string(),
                        m(e.value),
                        ids(&e.customers),
                    ]
                })
                .collect(),
            empty: "No region has active staff.",
        },
        Section {
            title: "8. Sabotage signals",
            headers: &["from", "to", "actor", "signature", "contacts changed", "customers removed", "commits"],
            rows: r
                .sabotage
                .iter()
                .map(|s| {
                    let commits: Vec<String> = s.commits.iter().map(|c| short(c).to_string()).collect();
                    vec![
                        s.from.to_string(),
                        s.to.to_string(),
                        s.actor.clone(),
                        s.signature.label().into(),
                        s.contacts_changed.to_string(),
                        ids(&s.customers_removed),
                        ids(&commits),
                    ]
                })
                .collect(),
            empty: "No mass contact changes or deleted customers.",
        },
        Section {
            title: "8b. Touches logged in someone else's name",
            headers: &["date", "commit", "logged by", "customer", "touch by"],
            rows: r
                .touches_for_others
                .iter()
                .map(|t| {
                    vec![
                        t.date.to_string(),
                        short(&t.commit).to_string(),
                        t.actor.clone(),
                        t.customer.clone(),
                        t.by.clone(),
                    ]
                })
                .collect(),
            empty: "Every touch was logged by its author.",
        },
    ]
}
