//! `crm agenda`.

use super::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{print, skipped, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::ics;
use crate::cli::render::{self, Column, Format};
use crate::model::date::Date;
use crate::ops::agenda::{self, Agenda, AgendaRequest, Item, Kind};
use crate::ops::complete::People;
use crate::Error;

/// A person's day: next steps overdue and due, handovers to follow up, stale accounts
///
/// One row per customer, most urgent first: next steps overdue (oldest
/// first), customers handed over to the person that they have not touched
/// since (as in the handover report), next steps due within --within
/// (soonest first), then stale relationships (key accounts first). Without
/// --for, the agenda of the person `crm whoami` names. An empty agenda is
/// not an error (exit 0).
///
/// --ics writes the overdue and due next steps as an iCalendar feed, one
/// all-day event each, for Outlook, Google or Apple Calendar, Feishu or
/// DingTalk to import or subscribe to.
///
/// Example: crm agenda --for zhang.wei --within 2w
#[derive(clap::Args, Debug)]
pub struct AgendaArgs {
    /// Whose agenda: a staff handle (default: yours, as `crm whoami` says)
    #[arg(long = "for", value_name = "HANDLE", add = complete::staff(People::All))]
    person: Option<String>,
    /// Next steps due within DUR (7d, 2w, 1m) or by a date are due
    #[arg(long, value_name = "DUR", default_value = "7d")]
    within: String,
    /// Write the overdue and due next steps as an iCalendar (.ics) feed
    #[arg(long, conflicts_with = "format")]
    ics: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// The columns of the table, CSV and Markdown forms.
const COLUMNS: &[Column] = &[
    Column::token("kind"),
    Column::token("date"),
    Column::token("customer"),
    Column::name("name").optional(2),
    Column::prose("next step"),
    Column::prose("why").optional(1),
];

/// The rows of `a` as cells.
fn cells(a: &Agenda) -> Vec<Vec<String>> {
    a.items
        .iter()
        .map(|i| {
            let next_step = render::opt(&i.next_step);
            vec![
                i.kind.to_string(),
                render::opt(&i.date),
                i.customer.clone(),
                i.name.clone(),
                next_step,
                why(i, a.today),
            ]
        })
        .collect()
}

/// Every reason `item` is on the agenda on `today`, in words.
fn why(item: &Item, today: Date) -> String {
    let days_ago = |d: Option<Date>| d.map_or(0, |d| d.days_until(today));
    let plural = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    item.kinds()
        .map(|kind| match kind {
            Kind::Overdue => format!("{} overdue", plural(days_ago(item.next_date), "day")),
            Kind::Due => match -days_ago(item.next_date) {
                0 => "due today".to_string(),
                1 => "due tomorrow".to_string(),
                n => format!("due in {n} days"),
            },
            Kind::Handover => {
                let when = match days_ago(item.handed_over) {
                    0 => "today".to_string(),
                    1 => "yesterday".to_string(),
                    n => format!("{n} days ago"),
                };
                match &item.from {
                    Some(from) => format!("handed over from {from} {when}, not touched since"),
                    None => format!("handed over {when}, not touched since"),
                }
            }
            Kind::Stale => {
                let key = if item.tier == "key" { "key account, " } else { "" };
                // Counted from the start of the relationship when never touched.
                match (item.last_touch, item.since) {
                    (Some(d), _) => format!("{key}no touch for {}", plural(days_ago(Some(d)), "day")),
                    (None, Some(d)) => format!("{key}never touched in {}", plural(days_ago(Some(d)), "day")),
                    (None, None) => format!("{key}never touched"),
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs `crm agenda`.
pub fn run(ctx: &mut Ctx, args: AgendaArgs) -> CliResult {
    let today = ctx.today;
    let person = match args.person {
        Some(handle) if handle != "me" => handle,
        _ => acting_person(ctx)?,
    };
    let until = Date::parse_ahead(&args.within, today)?;
    let req = AgendaRequest { person, until, handovers: !args.ics };
    let agenda = agenda::run(ctx.store()?, &req, today)?;
    if args.ics {
        print(&ics::agenda(&agenda.value))?;
        return skipped(&agenda.skipped);
    }
    let a = &agenda.value;
    match args.output.format {
        Format::Json => print(&render::json(&agenda))?,
        Format::Table if a.items.is_empty() => ctx.status(format!(
            "Nothing on the agenda of {} ({}): no next step overdue or due by {}, no handover to follow up, no stale relationship.",
            a.person, a.name, a.until
        )),
        Format::Table => {
            ctx.status(summary(a));
            ctx.page(&render::grid(COLUMNS, cells(a), Format::Table))?;
        }
        format => print(&render::grid(COLUMNS, cells(a), format))?,
    }
    skipped(&agenda.skipped)
}

/// The agenda's counts in one line, for people.
fn summary(a: &Agenda) -> String {
    let count = |kind: Kind| a.items.iter().filter(|i| i.kinds().any(|k| k == kind)).count();
    format!(
        "{} ({}) on {}: {} overdue, {} handover(s) to follow up, {} due by {}, {} stale",
        a.name,
        a.person,
        a.today,
        count(Kind::Overdue),
        count(Kind::Handover),
        count(Kind::Due),
        a.until,
        count(Kind::Stale)
    )
}

/// The person `crm whoami` names; when crm cannot tell, the error says how
/// to name one.
fn acting_person(ctx: &mut Ctx) -> CliResult<String> {
    let opts = ctx.write_options()?;
    crate::ops::whoami::handle(ctx.store()?, &opts).map_err(|e| {
        let unknown = matches!(e, Error::UnknownActor(_));
        let error = CliError::from(e);
        if unknown {
            error.with_hint(
                "name the person: `crm agenda --for HANDLE`; to be known yourself, `git config crm.user HANDLE` \
                 or make user.email the email in your staff file",
            )
        } else {
            error
        }
    })
}
