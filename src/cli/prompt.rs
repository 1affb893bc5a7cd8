//! Asking for missing input on a terminal (dialoguer). Without a person at
//! a terminal nothing is asked: the missing flag is named in an error.
//! Ctrl-C or Esc at a prompt ends the command with exit 130 and the cursor
//! shown again.

use dialoguer::{FuzzySelect, Input};

use super::ctx::Ctx;
use super::error::{CliError, CliResult};

/// Exit code of a command the user interrupted at a prompt (128 + SIGINT,
/// as a shell reports it).
pub const INTERRUPTED: i32 = 130;

/// The given value, or one typed at a prompt, or an error naming `flag`.
pub fn text(ctx: &Ctx, given: Option<String>, label: &str, flag: &str) -> CliResult<String> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !ctx.interactive {
        return Err(CliError::usage(format!("missing {flag}: {label} is required")));
    }
    Input::<String>::new().with_prompt(label).interact_text().map_err(interrupted)
}

/// The given value, or one picked from `choices` (value, description) in
/// a list filtered by typing, or an error naming `flag`.
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
    Ok(choices[choose(label, choices)?].0.clone())
}

/// The index of the choice picked from a list filtered by typing.
pub fn choose(label: &str, choices: &[(String, String)]) -> CliResult<usize> {
    let items: Vec<String> = choices.iter().map(|(v, d)| format!("{v}  {d}")).collect();
    FuzzySelect::new()
        .with_prompt(format!("{label} (type to filter)"))
        .items(&items)
        .default(0)
        .interact_opt()
        .map_err(interrupted)?
        .ok_or_else(|| interrupted(std::io::Error::from(std::io::ErrorKind::Interrupted).into()))
}

/// A prompt that ended without an answer: shows the cursor the prompt hid
/// (dialoguer leaves it hidden when Ctrl-C ends the prompt) and ends the
/// command as interrupted.
fn interrupted(e: dialoguer::Error) -> CliError {
    eprint!("\x1b[?25h");
    let dialoguer::Error::IO(e) = e;
    match e.kind() {
        std::io::ErrorKind::Interrupted => CliError { code: INTERRUPTED, message: "interrupted".into(), hint: None },
        _ => CliError::usage(format!("no answer: {e}")),
    }
}
