//! The acting user's private key, as the sealed values need it: an
//! OpenSSH `ssh-ed25519` or `ssh-rsa` private key, unlocked once with its
//! passphrase. Reading the file and asking for the passphrase are the
//! command line's; this only makes an age identity of the text.

use age::secrecy::SecretString;

use crate::{Error, Result};

/// The identity in the private key `text` (from `name`). `passphrase` is
/// asked only for a protected key; `None` means it cannot be asked.
pub fn parse(
    text: &str,
    name: &str,
    passphrase: impl FnOnce() -> Result<Option<String>>,
) -> Result<age::ssh::Identity> {
    let parsed = age::ssh::Identity::from_buffer(text.as_bytes(), Some(name.to_string()))
        .map_err(|_| Error::Identity(format!("{name} is not an OpenSSH private key")))?;
    match parsed {
        age::ssh::Identity::Unencrypted(_) => Ok(parsed),
        age::ssh::Identity::Encrypted(key) => {
            let Some(phrase) = passphrase()? else {
                return Err(Error::Identity(format!(
                    "{name} is protected by a passphrase and there is no terminal to ask it on; \
                     unattended jobs need a key file without a passphrase (kept as a CI secret)"
                )));
            };
            let unlocked = key
                .decrypt(SecretString::from(phrase))
                .map_err(|_| Error::Identity(format!("wrong passphrase for {name}")))?;
            Ok(age::ssh::Identity::Unencrypted(unlocked))
        }
        age::ssh::Identity::Unsupported(kind) => Err(Error::Identity(format!(
            "{name} cannot open sealed values ({}); an ssh-ed25519 (or ssh-rsa) key is needed",
            unsupported(&kind)
        ))),
    }
}

fn unsupported(kind: &age::ssh::UnsupportedKey) -> String {
    match kind {
        age::ssh::UnsupportedKey::Type(t) => format!("it is an {t} key"),
        age::ssh::UnsupportedKey::Hardware(t) => format!("it is a hardware key ({t})"),
        age::ssh::UnsupportedKey::EncryptedSsh(c) => format!("it is encrypted with {c}, which age does not read"),
        age::ssh::UnsupportedKey::EncryptedPem => {
            "it is an old PEM-encrypted key; `ssh-keygen -p -o -f KEY` converts it".into()
        }
    }
}
