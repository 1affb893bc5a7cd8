//! `crm import csv`.

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use super::{short, OutputArgs};
use crate::cli::complete;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::{CliError, CliResult};
use crate::cli::render::{self, json, Column, Format, Tabular};
use crate::ops::complete::People;
use crate::ops::import::{self, Encoding, ImportOutcome, ImportRequest, PlannedRow};

/// Import customers from files
///
/// Example: crm import csv customers.csv --dry-run
// Each variant's help comes from its Args struct's doc comment.
#[allow(missing_docs)]
#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    Csv(ImportCsvArgs),
}

/// Import customers from a CSV file, in one commit
///
/// Every row is checked first and every bad row reported (row, column, reason);
/// nothing is written unless all rows are good. Chinese and English headers are
/// recognised (客户名称/name, 负责人/owner, 地区/region, 联系人/contact,
/// 电话/phone, 邮箱/email, 年采购额/value, 备注/notes …); --map overrides them.
/// Re-importing the same file changes nothing; --update changes customers that
/// exist (matched by id, or by the id derived from the name).
///
/// Example: crm import csv 客户.csv --encoding gbk --dry-run
#[derive(clap::Args, Debug)]
pub struct ImportCsvArgs {
    /// The CSV file
    file: PathBuf,
    /// Read column COLUMN as FIELD (name, owner, backup, tier, status, region,
    /// value, since, tags, next_step, next_date, notes, contact_name,
    /// contact_title, contact_phone, contact_email, id, ignore); repeatable
    #[arg(long, value_name = "COLUMN=FIELD")]
    map: Vec<String>,
    /// The column holding each row's owner
    #[arg(long, value_name = "COLUMN", conflicts_with = "owner")]
    owner_column: Option<String>,
    /// Owner of every row
    #[arg(long, value_name = "HANDLE", add = complete::staff(People::Active))]
    owner: Option<String>,
    /// The file's encoding (auto: UTF-8 if it is valid UTF-8, else GBK)
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
    /// Check and show what would be written, write nothing
    #[arg(long)]
    dry_run: bool,
    /// Update customers that already exist instead of refusing them
    #[arg(long)]
    update: bool,
    /// Import rows that look like existing customers (same name, email, phone)
    #[arg(long)]
    force: bool,
    /// Do not ask before importing
    #[arg(long, short)]
    yes: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingArg {
    /// UTF-8 (with or without BOM)
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK (Excel on Chinese Windows)
    Gbk,
    /// Guess: UTF-8 when valid, else GBK
    Auto,
}

impl Tabular for PlannedRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::number("row"),
            Column::token("action"),
            Column::token("id"),
            Column::name("name"),
            Column::token("owner"),
        ];
        COLUMNS
    }
    fn cells(&self, _human: bool) -> Vec<String> {
        vec![self.row.to_string(), self.action.into(), self.id.clone(), self.name.clone(), self.owner.clone()]
    }
}

/// Runs `crm import`.
pub fn run(ctx: &mut Ctx, cmd: ImportCommand) -> CliResult {
    let ImportCommand::Csv(args) = cmd;
    let path = ctx.dir.join(&args.file);
    let bytes = std::fs::read(&path).map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let encoding = match args.encoding {
        EncodingArg::Utf8 => Encoding::Utf8,
        EncodingArg::Gbk => Encoding::Gbk,
        EncodingArg::Auto => Encoding::Auto,
    };
    let sheet = import::read_csv(&bytes, encoding)
        .map_err(|e| CliError::from(e).with_hint(format!("file: {}", path.display())))?;
    let map = args
        .map
        .iter()
        .map(|m| match m.split_once('=') {
            Some((c, f)) => Ok((c.trim().to_string(), f.trim().to_string())),
            None => Err(CliError::usage(format!("--map `{m}`: expected COLUMN=FIELD"))),
        })
        .collect::<CliResult<Vec<_>>>()?;
    let total = sheet.rows.len();
    let req = ImportRequest {
        sheet: Some(sheet),
        source: args.file.file_name().map_or_else(|| "CSV".into(), |n| n.to_string_lossy().into_owned()),
        map,
        owner: args.owner,
        owner_column: args.owner_column,
        update: args.update,
        force: args.force,
        today: Some(ctx.today),
    };
    let opts = ctx.write_options()?;
    let bar = progress_bar(ctx, total);
    let mut tick = |n: usize| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
    };
    let dry = args.dry_run || (!args.yes && ctx.interactive);
    let mut outcome = import::run(ctx.store()?, &req, &opts, dry, &mut tick)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if dry && !args.dry_run {
        let question = format!("Import {} new and {} updated customers?", outcome.added, outcome.updated);
        if outcome.added + outcome.updated == 0 || !ctx.confirm(&question, "--yes")? {
            return report(ctx, &outcome, args.output.format);
        }
        outcome = import::run(ctx.store()?, &req, &opts, false, &mut |_| {})?;
    }
    report(ctx, &outcome, args.output.format)
}

fn progress_bar(ctx: &Ctx, total: usize) -> Option<ProgressBar> {
    const WORTH_A_BAR: usize = 2_000;
    if ctx.quiet || total < WORTH_A_BAR || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("checking rows {bar:40} {pos}/{len} ({per_sec})") {
        bar.set_style(style);
    }
    Some(bar)
}

fn report(ctx: &Ctx, outcome: &ImportOutcome, format: Format) -> CliResult {
    if !outcome.ignored_columns.is_empty() {
        ctx.status(format!(
            "note: not imported: column(s) {} (map them with --map COLUMN=FIELD)",
            outcome.ignored_columns.join(", ")
        ));
    }
    match format {
        Format::Json => print(&json(outcome)),
        Format::Table if outcome.commit.is_none() && outcome.added + outcome.updated > 0 => {
            print(&render::rows(&outcome.rows, format))?;
            print(&format!(
                "Would add {}, update {}, leave {} unchanged.\n",
                outcome.added, outcome.updated, outcome.unchanged
            ))
        }
        Format::Table => ctx.outcome(&match &outcome.commit {
            Some(c) => format!(
                "Imported: {} added, {} updated, {} unchanged [{}]\n",
                outcome.added,
                outcome.updated,
                outcome.unchanged,
                short(c)
            ),
            None => format!("Nothing to import: all {} rows match the store.\n", outcome.unchanged),
        }),
        _ => print(&render::rows(&outcome.rows, format)),
    }
}
