//! `crm agenda`.

use super::report::LangArgs;
use super::OutputArgs;
use crate::cli::complete;
use crate::cli::ctx::{print, skipped, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::i18n::Catalog;
use crate::cli::ics;
use crate::cli::render::{self, Column, Format};
use crate::model::date::Date;
use crate::model::pool::{ReleaseReason, POOL};
use crate::ops::agenda::{self, Agenda, AgendaRequest, Item, Kind, Release};
use crate::ops::complete::People;
use crate::Error;

/// A person's day: next steps overdue and due, handovers to follow up, stale accounts
///
/// One row per customer, most urgent first: customers the pool's rules take
/// within [pool] remind_days unless touched or converted (soonest first),
/// next steps overdue (oldest first), customers handed over to the person
/// that they have not touched since (as in the handover report), next steps due within --within
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
    lang: LangArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// The columns of the table, CSV and Markdown forms. On a narrow terminal
/// the name goes first (the id is there), then the next step: `why` says
/// what happens to a customer, and when.
const COLUMNS: &[Column] = &[
    Column::token("kind"),
    Column::token("date"),
    Column::token("customer"),
    Column::name("name").optional(1),
    Column::prose("next step").optional(2),
    Column::prose("why").optional(3),
];

/// The rows of `a` as cells, in `cat`'s words.
fn cells(a: &Agenda, cat: &Catalog) -> Vec<Vec<String>> {
    a.items
        .iter()
        .map(|i| {
            let next_step = render::opt(&i.next_step);
            vec![
                cat.word("kind", i.kind.id()),
                render::opt(&i.date),
                i.customer.clone(),
                i.name.clone(),
                next_step,
                why(i, a.today, cat),
            ]
        })
        .collect()
}

/// Every reason `item` is on the agenda on `today`, in `cat`'s words.
pub fn why(item: &Item, today: Date, cat: &Catalog) -> String {
    let days_ago = |d: Option<Date>| d.map_or(0, |d| d.days_until(today));
    let days = |n: i64| [("days", n.into())];
    item.kinds()
        .map(|kind| match kind {
            Kind::Overdue => cat.with("why-overdue", &days(days_ago(item.next_date))),
            Kind::Due => match -days_ago(item.next_date) {
                0 => cat.text("why-due-today"),
                1 => cat.text("why-due-tomorrow"),
                n => cat.with("why-due-in", &days(n)),
            },
            Kind::Release => item.release.as_ref().map_or_else(String::new, |r| release(r, today, cat)),
            Kind::Handover => {
                let when = match days_ago(item.handed_over) {
                    0 => cat.text("when-today"),
                    1 => cat.text("when-yesterday"),
                    n => cat.with("when-days-ago", &days(n)),
                };
                match &item.from {
                    Some(from) if from == POOL => cat.with("why-assigned-from-pool", &[("when", when.into())]),
                    Some(from) => {
                        cat.with("why-handover-from", &[("from", from.as_str().into()), ("when", when.into())])
                    }
                    None => cat.with("why-handover", &[("when", when.into())]),
                }
            }
            Kind::Stale => {
                // Counted from the start of the relationship when never touched.
                let why = match (item.last_touch, item.since) {
                    (Some(d), _) => cat.with("why-no-touch", &days(days_ago(Some(d)))),
                    (None, Some(d)) => cat.with("why-never-touched-in", &days(days_ago(Some(d)))),
                    (None, None) => cat.text("why-never-touched"),
                };
                match item.tier == "key" {
                    true => cat.with("why-key-account", &[("why", why.into())]),
                    false => why,
                }
            }
        })
        .collect::<Vec<_>>()
        .join(&cat.text("why-separator"))
}

/// When and where the pool's rules take a customer, and what keeps it.
/// The run that takes it is in the small hours of its day, so "tonight"
/// is the night after the last day to act.
fn release(r: &Release, today: Date, cat: &Catalog) -> String {
    let when = match today.days_until(r.last_day(today)) {
        0 => cat.text("when-tonight"),
        1 => cat.text("when-tomorrow-night"),
        n => cat.with("when-in-days", &[("days", n.into())]),
    };
    let touch = r.reason == ReleaseReason::NoTouch;
    let key = match (r.to == POOL, touch) {
        (true, true) => "why-release-touch",
        (true, false) => "why-release-convert",
        (false, true) => "why-manager-touch",
        (false, false) => "why-manager-convert",
    };
    cat.with(key, &[("when", when.into()), ("to", r.to.as_str().into())])
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
    let cat = args.lang.catalog(ctx)?;
    let columns = cat.columns(COLUMNS);
    match args.output.format {
        Format::Json => print(&render::json(&agenda))?,
        Format::Table if a.items.is_empty() => {
            let args = [
                ("name", a.name.as_str().into()),
                ("person", a.person.as_str().into()),
                ("until", a.until.to_string().into()),
            ];
            ctx.status(cat.with("agenda-nothing", &args))
        }
        Format::Table => {
            ctx.status(summary(a, &cat));
            ctx.page(&render::grid(&columns, cells(a, &cat), Format::Table))?;
        }
        format => print(&render::grid(&columns, cells(a, &cat), format))?,
    }
    skipped(&agenda.skipped)
}

/// How many of `a`'s customers have `kind` among their reasons.
pub fn count(a: &Agenda, kind: Kind) -> usize {
    a.items.iter().filter(|i| i.kinds().any(|k| k == kind)).count()
}

/// The agenda's counts in one line, for people.
fn summary(a: &Agenda, cat: &Catalog) -> String {
    // Customers going to the pool are counted when there are any: a store
    // without the pool's rules has none.
    let id = if count(a, Kind::Release) > 0 { "agenda-summary-release" } else { "agenda-summary" };
    cat.with(
        id,
        &[
            ("name", a.name.as_str().into()),
            ("person", a.person.as_str().into()),
            ("today", a.today.to_string().into()),
            ("overdue", count(a, Kind::Overdue).into()),
            ("release", count(a, Kind::Release).into()),
            ("handovers", count(a, Kind::Handover).into()),
            ("due", count(a, Kind::Due).into()),
            ("until", a.until.to_string().into()),
            ("stale", count(a, Kind::Stale).into()),
        ],
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
