//! `crm add`.

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::prompt;
use crate::cli::render::{escape, json, Format};
use crate::model::customer::Status;
use crate::model::date::Date;
use crate::model::{Contact, CustomerId};
use crate::ops::add::{self, AddCustomer};
use crate::ops::complete::People;
use crate::ops::edit::parse_value;

/// Add a customer
///
/// Writes customers/XX/ID.toml in one commit. The id is derived from the name
/// (Chinese names become pinyin) unless --id is given. On a terminal, missing
/// --name and --owner are asked for.
///
/// Example: crm add --name 郑州宇通客运集团 --owner zhang.wei --backup li.na --tier key --region 华中 --value 12000000 --contact "王建国 <wang@example.cn> +86 371 5555 0101" --tag 公交
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Customer id, `[a-z0-9][a-z0-9-]*` (default: derived from the name)
    #[arg(long)]
    id: Option<CustomerId>,
    /// Customer name
    #[arg(long)]
    name: Option<String>,
    /// Owner's staff handle
    #[arg(long, add = complete::staff(People::Active))]
    owner: Option<String>,
    /// Backup's staff handle (required for key accounts)
    #[arg(long, add = complete::staff(People::Active))]
    backup: Option<String>,
    /// Tier, one of crm.toml's tiers (default: standard)
    #[arg(long, add = complete::tiers())]
    tier: Option<String>,
    /// prospect, active, dormant or lost (default: active)
    #[arg(long, add = complete::words(Status::ALL))]
    status: Option<String>,
    /// Sales region
    #[arg(long, add = complete::regions())]
    region: Option<String>,
    /// Estimated annual value, a whole number
    #[arg(long)]
    value: Option<String>,
    /// Start of the relationship, YYYY-MM-DD (default: today)
    #[arg(long)]
    since: Option<String>,
    /// A contact: "Name <email> phone"; repeatable
    #[arg(long = "contact")]
    contacts: Vec<String>,
    /// A tag; repeatable
    #[arg(long = "tag", add = complete::tags())]
    tags: Vec<String>,
    /// Add even if the name, an email or a phone matches an existing customer
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm add`.
pub fn run(ctx: &mut Ctx, args: AddArgs) -> CliResult {
    let value = args.value.as_deref().map(parse_value).transpose()?.map(|v| v as u64);
    let since = args.since.as_deref().map(Date::parse).transpose()?;
    let contacts = args.contacts.iter().map(|c| Contact::parse_spec(c)).collect::<Result<Vec<_>, _>>()?;
    let name = prompt::text(ctx, args.name, "customer name", "--name")?;
    let owner = match args.owner {
        Some(o) => o,
        None => {
            if !args.force {
                add::check_duplicate(ctx.store()?, &name, &contacts)?;
            }
            let staff = ctx.store()?.head()?.staff()?;
            let choices: Vec<(String, String)> = staff
                .values()
                .filter(|s| s.is_active())
                .map(|s| (s.handle.to_string(), format!("{} ({})", s.name, s.region.clone().unwrap_or_default())))
                .collect();
            prompt::pick(ctx, None, "owner", "--owner", &choices)?
        }
    };
    let req = AddCustomer {
        id: args.id,
        name,
        owner,
        backup: args.backup,
        tier: args.tier,
        status: args.status,
        region: args.region,
        value,
        contacts,
        tags: args.tags,
        since,
        force: args.force,
    };
    let (today, opts) = (ctx.today, ctx.write_options()?);
    let added = add::run(ctx.store()?, &req, today, &opts)?;
    match args.output.format {
        Format::Json => print(&json(&added)),
        _ => ctx.outcome(&format!(
            "Added {} ({}) as {} [{}]\n",
            added.customer.id,
            escape(&added.customer.name),
            added.path,
            short(&added.commit)
        )),
    }
}
