//! Signing commits the way git does, from git's own configuration:
//! `commit.gpgsign`, `gpg.format` (openpgp, ssh, x509), `user.signingkey`,
//! `gpg.program` / `gpg.<format>.program`. The signature is made by the same
//! program git would run, so `git verify-commit` accepts it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::{Error, Result};

/// Whether to sign, as asked on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignChoice {
    /// As git config and the store's policy say.
    #[default]
    Auto,
    /// `--sign`.
    Always,
    /// `--no-sign`.
    Never,
}

/// The signature format, from `gpg.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenPGP through gpg.
    OpenPgp,
    /// SSH signatures through ssh-keygen.
    Ssh,
    /// X.509 through gpgsm.
    X509,
}

/// A configured way to sign.
#[derive(Debug, Clone)]
pub struct Signer {
    format: Format,
    program: String,
    key: String,
}

const HOW_TO_SSH: &str = "run `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`";

/// Decides whether and how to sign, refusing (before anything is written)
/// when the store requires signatures and none can be made.
pub fn resolve(repo: &git2::Repository, choice: SignChoice, required: bool) -> Result<Option<Signer>> {
    let config = repo.config()?;
    let wanted = match choice {
        SignChoice::Always => true,
        SignChoice::Never if required => {
            return Err(Error::SigningUnavailable(
                "this store requires signed commits (policy.require_signed) and --no-sign was given".into(),
            ))
        }
        SignChoice::Never => false,
        SignChoice::Auto => required || config.get_bool("commit.gpgsign").unwrap_or(false),
    };
    if !wanted {
        return Ok(None);
    }
    let unconfigured = |why: &str| {
        let prefix = if required { "this store requires signed commits, but " } else { "" };
        Error::SigningUnavailable(format!(
            "{prefix}{why}; {HOW_TO_SSH} (or set up gpg and `git config user.signingkey KEYID`)"
        ))
    };
    let format = match config.get_string("gpg.format").as_deref() {
        Err(_) | Ok("openpgp") => Format::OpenPgp,
        Ok("ssh") => Format::Ssh,
        Ok("x509") => Format::X509,
        Ok(other) => return Err(unconfigured(&format!("gpg.format `{other}` is not one git knows"))),
    };
    let key = match (config.get_string("user.signingkey"), format) {
        (Ok(key), _) if !key.trim().is_empty() => key.trim().to_string(),
        (_, Format::Ssh) => return Err(unconfigured("gpg.format is ssh but user.signingkey is not set")),
        _ => match repo.signature() {
            // gpg picks the key by the committer's identity, as git does.
            Ok(sig) => format!("{} <{}>", sig.name().unwrap_or_default(), sig.email().unwrap_or_default()),
            Err(_) => return Err(unconfigured("neither user.signingkey nor user.email is set")),
        },
    };
    let (section, default_program) = match format {
        Format::OpenPgp => ("openpgp", "gpg"),
        Format::Ssh => ("ssh", "ssh-keygen"),
        Format::X509 => ("x509", "gpgsm"),
    };
    let program = config
        .get_string(&format!("gpg.{section}.program"))
        .or_else(|_| match format {
            Format::OpenPgp => config.get_string("gpg.program"),
            _ => Err(git2::Error::from_str("unset")),
        })
        .unwrap_or_else(|_| default_program.to_string());
    Ok(Some(Signer { format, program, key }))
}

impl Signer {
    /// The SSH public key this signer signs with, when git's configuration
    /// names one crm can read (`key::…`, a literal key, or a key file and
    /// its `.pub`); `None` for OpenPGP and X.509.
    pub fn ssh_public_key(&self) -> Option<String> {
        if self.format != Format::Ssh {
            return None;
        }
        if let Some(literal) = self.key.strip_prefix("key::") {
            return Some(literal.trim().to_string());
        }
        if self.key.starts_with("ssh-") || self.key.starts_with("ecdsa-") || self.key.starts_with("sk-") {
            return Some(self.key.clone());
        }
        let path = match self.key.strip_prefix("~/") {
            Some(rest) => std::path::PathBuf::from(std::env::var_os("HOME")?).join(rest),
            None => std::path::PathBuf::from(&self.key),
        };
        let public = if path.extension().is_some_and(|e| e == "pub") { path } else { path.with_extension("pub") };
        let text = std::fs::read_to_string(public).ok()?;
        text.lines().next().map(|l| l.trim().to_string()).filter(|l| !l.is_empty())
    }

    /// The format's name, as `gpg.format` spells it.
    pub fn format_name(&self) -> &'static str {
        match self.format {
            Format::OpenPgp => "openpgp",
            Format::Ssh => "ssh",
            Format::X509 => "x509",
        }
    }

    /// Signs a commit buffer; returns the armored signature.
    pub fn sign(&self, payload: &str) -> Result<String> {
        match self.format {
            Format::OpenPgp | Format::X509 => self.sign_gpg(payload),
            Format::Ssh => self.sign_ssh(payload),
        }
    }

    fn sign_gpg(&self, payload: &str) -> Result<String> {
        let args = ["--status-fd=2", "-bsau", self.key.as_str()];
        let (stdout, stderr) = self.run(&args, payload)?;
        if !stderr.contains("[GNUPG:] SIG_CREATED ") {
            return Err(self.failed(&stderr));
        }
        Ok(stdout)
    }

    fn sign_ssh(&self, payload: &str) -> Result<String> {
        // A key given literally ("key::ssh-ed25519 …" or "ssh-…") names a
        // key in the agent; anything else is a key file path.
        let literal =
            self.key.strip_prefix("key::").or_else(|| self.key.starts_with("ssh-").then_some(self.key.as_str()));
        let mut key_file = None;
        let path = match literal {
            Some(public) => {
                let mut f = tempfile::NamedTempFile::new().map_err(Error::io(std::env::temp_dir()))?;
                writeln!(f, "{public}").map_err(Error::io(f.path()))?;
                let p = f.path().to_string_lossy().into_owned();
                key_file = Some(f);
                p
            }
            None => expand_tilde(&self.key),
        };
        let mut args = vec!["-Y", "sign", "-n", "git", "-f", path.as_str()];
        if key_file.is_some() {
            args.push("-U");
        }
        let (stdout, stderr) = self.run(&args, payload)?;
        if !stdout.contains("BEGIN SSH SIGNATURE") {
            return Err(self.failed(&stderr));
        }
        Ok(stdout)
    }

    fn run(&self, args: &[&str], input: &str) -> Result<(String, String)> {
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.failed(&format!("cannot run it ({e})")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A program that exits early closes its input; its own message
            // (read below) says why, not the broken pipe.
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| self.failed(&e.to_string()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(self.failed(&stderr));
        }
        Ok((stdout, stderr))
    }

    fn failed(&self, output: &str) -> Error {
        let message =
            output.lines().filter(|l| !l.starts_with("[GNUPG:]") && !l.trim().is_empty()).collect::<Vec<_>>().join(" ");
        Error::SigningFailed {
            program: self.program.clone(),
            message: if message.is_empty() { "no signature was produced".into() } else { message },
        }
    }
}

/// `~/x` → `$HOME/x`, as git does for key paths.
fn expand_tilde(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.to_string_lossy()),
        _ => path.to_string(),
    }
}
