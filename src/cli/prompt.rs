//! Asking for missing input on a terminal (dialoguer). Without a person at
//! a terminal nothing is asked: the missing flag is named in an error.

use dialoguer::{Input, Select};

use super::ctx::Ctx;
use super::error::{CliError, CliResult};

/// The given value, or one typed at a prompt, or an error naming `flag`.
pub fn text(ctx: &Ctx, given: Option<String>, label: &str, flag: &str) -> CliResult<String> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !ctx.interactive {
        return Err(CliError::usage(format!("missing {flag}: {label} is required")));
    }
    Input::<String>::new()
        .with_prompt(label)
        .interact_text()
        .map_err(|e| CliError::usage(format!("no {label} given: {e}")))
}

/// The given value, or one picked from `choices` (value, description), or
/// an error naming `flag`.
pub fn pick(
    ctx: &Ctx,
    given: Option<String>,
    label: &str,
    flag: &str,
    choices: &[(String, String)],
) -> CliResult<String> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !ctx.interactive || choices.is_empty() {
        return Err(CliError::usage(format!("missing {flag}: {label} is required")));
    }
    let items: Vec<String> = choices.iter().map(|(v, d)| format!("{v}  {d}")).collect();
    let i = Select::new()
        .with_prompt(label)
        .items(&items)
        .default(0)
        .interact()
        .map_err(|e| CliError::usage(format!("no {label} chosen: {e}")))?;
    Ok(choices[i].0.clone())
}
