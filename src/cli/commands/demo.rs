//! `crm demo`.

use std::path::PathBuf;

use super::OutputArgs;
use crate::cli::ctx::{print, Ctx};
use crate::cli::error::CliResult;
use crate::cli::render::{json, Format};
use crate::ops::demo;

/// Build a realistic sample store to try crm on
///
/// Five regions, forty customers with Chinese and Latin names, two years of
/// touches, a reorganisation and a departed rep whose customers were only partly
/// handed over. Every commit is signed with SSH keys the demo makes in DIR/.git.
///
/// Example: crm demo /tmp/crm-demo
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where to build it (default: ./crm-demo); must be new or empty
    dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `crm demo`.
pub fn run(ctx: &mut Ctx, args: DemoArgs) -> CliResult {
    let dir = ctx.dir.join(args.dir.unwrap_or_else(|| PathBuf::from("crm-demo")));
    demo::check_target(&dir)?;
    ctx.status(format!("Building a sample store in {} …", dir.display()));
    let done = demo::run(&dir, ctx.today)?;
    if args.output.format == Format::Json {
        return print(&json(&done));
    }
    let d = done.root.display().to_string();
    let d = d.trim_end_matches('/');
    // After `cargo run`, `crm` is not a command yet: say how to make the
    // lines below work exactly as typed.
    let path = match ctx.not_on_path() {
        Some(bin) => format!("\n`crm` is not on your PATH; first run:\n  export PATH=\"{}:$PATH\"\n", bin.display()),
        None => String::new(),
    };
    print(&format!(
        "Built {d}: {} customers, {} staff, {} signed commits.\n\
         You act as liu.yang (admin); commits are signed with the demo's key.\n\
         The store is sealed: contacts, notes, next steps and touch summaries open only for\n\
         the owner, the backup, the region's managers, the admins and the recovery key.\n{path}\n\
         Try next:\n  \
           cd {d}\n  \
           crm agenda --for zhang.wei            # a rep's day: overdue and due next steps, stale accounts\n  \
           crm find 02755550102                  # who is calling? names, pinyin, contacts, phones\n  \
           crm show 郑州宇通客运集团                # the admin opens every sealed contact and summary\n  \
           CRM_IDENTITY=.git/crm-demo-keys/wang.fang crm show 郑州宇通客运集团   # a 华南 rep: `sealed`\n  \
           CRM_IDENTITY=.git/crm-demo-keys/zhao.lei crm show 北京公交集团      # he left: his key opens nothing new\n  \
           crm list --region 华北                # zhao.lei has left; some of his customers still wait\n  \
           crm log --since 1m                    # ownership changes, with signature status\n  \
           crm staff list --all\n  \
           crm reassign --from zhao.lei --to chen.jie --reason \"finish the 华北 handover\" --dry-run\n  \
           crm list --stale\n  \
           git log --show-signature -3           # plain git sees the same signed history\n",
        done.customers, done.staff, done.commits
    ))
}
