//! The data key of a customer, wrapped for each of its recipients as an
//! age file (<https://age-encryption.org/v1>) whose payload is the key.
//!
//! Recipients are SSH public keys (`ssh-ed25519`, `ssh-rsa`): the keys the
//! staff files already list for signing. Each age stanza of an SSH
//! recipient carries a tag, the first four bytes of the SHA-256 of the
//! public key, so who an envelope is for can be read without any private
//! key — `crm check` compares those tags with the policy.

use std::io::{Read as _, Write as _};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::value::DataKey;

/// A public key a data key can be wrapped for.
#[derive(Clone, Debug)]
pub struct Recipient {
    key: age::ssh::Recipient,
    tag: String,
}

/// Why a public key cannot be a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

impl Recipient {
    /// The recipient for an SSH public key as written in a staff file or
    /// `crm.toml` (`ssh-ed25519 AAAA… comment`).
    pub fn parse(public_key: &str) -> Result<Recipient, Unusable> {
        let kind = public_key.split_whitespace().next().unwrap_or("");
        if !matches!(kind, "ssh-ed25519" | "ssh-rsa") {
            let ssh = ["ssh-", "ecdsa-", "sk-"].iter().any(|p| public_key.starts_with(p));
            let what = if ssh {
                format!("{kind} keys cannot receive sealed data (age supports only ssh-ed25519 and ssh-rsa)")
            } else {
                "an OpenPGP key cannot receive sealed data; an ssh-ed25519 key is needed".to_string()
            };
            return Err(Unusable(what));
        }
        let key: age::ssh::Recipient =
            public_key.parse().map_err(|e| Unusable(format!("not a usable {kind} public key ({e:?})")))?;
        Ok(Recipient { tag: key_tag(public_key).unwrap_or_default(), key })
    }

    /// The stanza tag of this key.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

/// The stanza tag of an SSH public key: base64 of the first four bytes of
/// the SHA-256 of its wire encoding.
pub fn key_tag(public_key: &str) -> Option<String> {
    let blob = STANDARD.decode(public_key.split_whitespace().nth(1)?).ok()?;
    Some(STANDARD_NO_PAD.encode(&Sha256::digest(&blob)[..4]))
}

/// Wraps `key` for every recipient: the base64 of one age file.
pub fn wrap(key: &DataKey, recipients: &[&Recipient]) -> String {
    let list = recipients.iter().map(|r| &r.key as &dyn age::Recipient);
    let encryptor = age::Encryptor::with_recipients(list).expect("a sealed customer always has recipients");
    let mut out = Vec::with_capacity(160 * recipients.len() + 120);
    let mut writer = encryptor.wrap_output(&mut out).expect("writing to memory");
    writer.write_all(key.as_bytes()).expect("writing to memory");
    writer.finish().expect("writing to memory");
    STANDARD.encode(out)
}

/// Why a wrapped key did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnwrapError {
    /// Not the base64 of an age file holding a 32-byte key.
    Malformed,
    /// None of the identities is a recipient.
    NotARecipient,
}

/// Unwraps the data key with the first identity that is a recipient.
pub fn unwrap(wrapped: &str, identities: &[age::ssh::Identity]) -> Result<DataKey, UnwrapError> {
    let raw = STANDARD.decode(wrapped).map_err(|_| UnwrapError::Malformed)?;
    let decryptor = age::Decryptor::new_buffered(&raw[..]).map_err(|_| UnwrapError::Malformed)?;
    let mut reader = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => UnwrapError::NotARecipient,
        _ => UnwrapError::Malformed,
    })?;
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(32));
    reader.read_to_end(&mut bytes).map_err(|_| UnwrapError::Malformed)?;
    DataKey::from_bytes(&bytes).ok_or(UnwrapError::Malformed)
}

/// One stanza of a wrapped key's header: its type and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// `ssh-ed25519`, `ssh-rsa`, `X25519`…
    pub kind: String,
    /// The key tag of SSH stanzas; for other types (which no staff key
    /// opens), the type.
    pub tag: String,
}

/// The stanzas of a wrapped key, read from its header; `None` when it is
/// not an age file.
pub fn stanzas(wrapped: &str) -> Option<Vec<Stanza>> {
    let raw = STANDARD.decode(wrapped).ok()?;
    let end = memchr::memmem::find(&raw, b"\n--- ")?;
    let header = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = header.lines();
    if lines.next()? != "age-encryption.org/v1" {
        return None;
    }
    // age adds "grease" stanzas no key opens, against ossification.
    let list: Vec<Stanza> = lines
        .filter_map(|l| l.strip_prefix("-> "))
        .filter(|l| !l.split(' ').next().unwrap_or("").ends_with("-grease"))
        .map(|l| {
            let mut args = l.split(' ');
            let kind = args.next().unwrap_or("").to_string();
            let tag = if kind.starts_with("ssh-") { args.next().unwrap_or("").to_string() } else { kind.clone() };
            Stanza { kind, tag }
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

#[cfg(test)]
pub(crate) mod test_key {
    //! A fixed key for unit tests.

    // ssh-keygen -t ed25519 -N '' -C test; fixed here so the unit test
    // needs no program (the integration tests make their keys).
    pub(crate) const PRIVATE: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACADfjeh1z+UIZlraPLDoH/mtbxwW32XddnTt/Xmi3XBZQAAAIgy+Sy5Mvks
uQAAAAtzc2gtZWQyNTUxOQAAACADfjeh1z+UIZlraPLDoH/mtbxwW32XddnTt/Xmi3XBZQ
AAAECS7+Cq1gIl8zGJo/0OYkuxWhuu7/faldy2IO12xFadwQN+N6HXP5QhmWto8sOgf+a1
vHBbfZd12dO39eaLdcFlAAAABHRlc3QB
-----END OPENSSH PRIVATE KEY-----
";
    pub(crate) const PUBLIC: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAN+N6HXP5QhmWto8sOgf+a1vHBbfZd12dO39eaLdcFl test";

    pub(crate) fn identity() -> age::ssh::Identity {
        age::ssh::Identity::from_buffer(PRIVATE.as_bytes(), None).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_key::*;

    #[test]
    fn wraps_for_a_key_and_names_it_by_tag() {
        let key = DataKey::generate();
        let me = Recipient::parse(PUBLIC).unwrap();
        let wrapped = wrap(&key, &[&me]);
        let list = stanzas(&wrapped).unwrap();
        assert_eq!(list, vec![Stanza { kind: "ssh-ed25519".into(), tag: me.tag().to_string() }]);
        assert_eq!(unwrap(&wrapped, &[identity()]).unwrap().as_bytes(), key.as_bytes());
        assert_eq!(unwrap("bm90IGFnZQ==", &[identity()]).err(), Some(UnwrapError::Malformed));
    }

    #[test]
    fn keys_age_cannot_use_are_named() {
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEXAMPLE= a@b";
        assert!(Recipient::parse(ecdsa).unwrap_err().0.contains("ssh-ed25519"));
        assert!(Recipient::parse("ABCD1234ABCD1234ABCD1234").unwrap_err().0.contains("OpenPGP"));
    }
}
