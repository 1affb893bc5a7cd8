//! Which private key opens sealed values for the person at the command
//! line: `CRM_IDENTITY`, else `git config crm.identity`, else the SSH key
//! git signs with (`user.signingkey` with `gpg.format = ssh`; a `.pub`
//! path stands for the private key beside it). Loaded on first use, so a
//! command that opens nothing never reads the key or asks a passphrase;
//! a protected key asks once per command, on a terminal only.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::seal::record::KeySource;
use crate::store::Store;
use crate::{Error, Result};

/// Where the key comes from, and the key once loaded.
pub struct CliKeys {
    /// The key file (`None`: none is configured), or why the configured
    /// one cannot be used.
    file: std::result::Result<Option<PathBuf>, String>,
    /// Whether a passphrase may be asked.
    interactive: bool,
    loaded: OnceLock<std::result::Result<Vec<age::ssh::Identity>, String>>,
}

impl CliKeys {
    /// The key configured for `store`'s user.
    pub fn configured(store: &Store, interactive: bool) -> CliKeys {
        let file = match std::env::var_os("CRM_IDENTITY").filter(|v| !v.is_empty()) {
            Some(path) => Ok(Some(PathBuf::from(path))),
            None => match store.config_value("crm.identity") {
                Some(path) => Ok(Some(expand_home(&path))),
                None => signing_key_file(store),
            },
        };
        CliKeys { file, interactive, loaded: OnceLock::new() }
    }

    /// The key in `file` (`--identity FILE`).
    pub fn file(file: PathBuf, interactive: bool) -> CliKeys {
        CliKeys { file: Ok(Some(file)), interactive, loaded: OnceLock::new() }
    }

    fn load(&self) -> std::result::Result<Vec<age::ssh::Identity>, String> {
        let Some(file) = self.file.clone()? else {
            return Ok(Vec::new());
        };
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read the private key {name}: {e}"))?;
        let ask = || -> Result<Option<String>> {
            if !self.interactive {
                return Ok(None);
            }
            super::prompt::passphrase(&format!("Passphrase for {name}"))
                .map(Some)
                .map_err(|e| Error::Identity(e.message))
        };
        crate::seal::identity::parse(&text, &name, ask).map(|id| vec![id]).map_err(|e| e.to_string())
    }
}

impl KeySource for CliKeys {
    fn identities(&self) -> Result<&[age::ssh::Identity]> {
        match self.loaded.get_or_init(|| self.load()) {
            Ok(list) => Ok(list),
            Err(why) => Err(Error::Identity(why.clone())),
        }
    }
}

/// The private key file of git's SSH signing key (`None`: git signs with
/// no key), or why it cannot open sealed values.
fn signing_key_file(store: &Store) -> std::result::Result<Option<PathBuf>, String> {
    let Some(key) = store.config_value("user.signingkey") else {
        return Ok(None);
    };
    if store.config_value("gpg.format").as_deref() != Some("ssh") {
        return Err("your signing key is an OpenPGP key, which cannot open sealed values; set CRM_IDENTITY to an ssh-ed25519 private key file listed in your staff file".into());
    }
    if key.starts_with("key::") || key.starts_with("ssh-") {
        return Err("git signs with a key held by ssh-agent, and an agent cannot decrypt; set CRM_IDENTITY (or `git config crm.identity`) to the private key file".into());
    }
    let path = expand_home(&key);
    Ok(Some(match path.to_str().and_then(|p| p.strip_suffix(".pub")) {
        Some(private) => PathBuf::from(private),
        None => path,
    }))
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}
