//! One sealed value: XChaCha20-Poly1305 under the customer's data key, with
//! a random nonce, bound by associated data to the customer id and the
//! field path, so a ciphertext copied to another customer or another field
//! no longer opens.
//!
//! Written in the file as `sealed:v1:` followed by the base64 of nonce and
//! ciphertext (with its tag): one TOML string, so every reader that does not
//! open values still reads the file as before.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, AeadInPlace, KeyInit, OsRng, Payload};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// What every sealed value starts with.
pub const PREFIX: &str = "sealed:v1:";

/// Length of the nonce of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
const TAG_LEN: usize = 16;
/// Length of a key wrapped by [`DataKey::wrap_key`]: nonce, the 32-byte
/// key, tag.
pub const WRAPPED_KEY_LEN: usize = NONCE_LEN + 32 + TAG_LEN;

/// A key of XChaCha20-Poly1305: a customer's data key, or the key of a
/// ring the data keys are wrapped under. 32 random bytes, wiped from
/// memory when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> DataKey {
        DataKey(Zeroizing::new(XChaCha20Poly1305::generate_key(&mut OsRng).into()))
    }

    /// The key from its 32 bytes (as unwrapped).
    pub fn from_bytes(bytes: &[u8]) -> Option<DataKey> {
        Some(DataKey(Zeroizing::new(bytes.try_into().ok()?)))
    }

    /// The key's bytes, to wrap.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0[..]))
    }

    /// Seals `plain`, the value at `field` (`notes`, `contacts[0].phone`)
    /// of customer `id`.
    pub fn seal(&self, id: &str, field: &str, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(id, field);
        let sealed = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD_NO_PAD.encode(raw))
    }

    /// Seals another key under this one (a customer's data key under its
    /// ring's key), bound to `context`: nonce, then ciphertext and tag.
    pub fn wrap_key(&self, context: &str, inner: &DataKey) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher()
            .encrypt(&nonce, Payload { msg: inner.as_bytes(), aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        [&nonce[..], &sealed].concat()
    }

    /// Opens a key sealed by [`DataKey::wrap_key`] for the same `context`.
    pub fn unwrap_key(&self, context: &str, raw: &[u8]) -> Option<DataKey> {
        if raw.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain =
            self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() }).ok()?;
        DataKey::from_bytes(&Zeroizing::new(plain))
    }

    /// Opens a value sealed by [`DataKey::seal`] for the same `id` and
    /// `field`. Decrypted in the decoded buffer, which becomes the text: an
    /// export opens millions of values.
    pub fn open(&self, id: &str, field: &str, text: &str) -> Result<String, OpenError> {
        let mut raw = decode(text)?;
        let aad = associated_data(id, field);
        let end = raw.len() - TAG_LEN;
        let (head, tag) = raw.split_at_mut(end);
        let (nonce, sealed) = head.split_at_mut(NONCE_LEN);
        self.cipher()
            .decrypt_in_place_detached(XNonce::from_slice(nonce), aad.as_bytes(), sealed, Tag::from_slice(tag))
            .map_err(|_| OpenError::Authentication)?;
        raw.truncate(end);
        raw.drain(..NONCE_LEN);
        String::from_utf8(raw).map_err(|_| OpenError::NotText)
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Not `sealed:v1:` and base64 of at least a nonce and a tag.
    Malformed,
    /// The data key, the customer or the field is not the one it was sealed
    /// for, or the ciphertext was changed.
    Authentication,
    /// It opened to bytes that are not UTF-8.
    NotText,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OpenError::Malformed => "not a well-formed sealed value (`sealed:v1:` and base64)",
            OpenError::Authentication => {
                "does not open with the customer's data key for this customer and field (changed, moved or sealed under another key)"
            }
            OpenError::NotText => "opens to bytes that are not UTF-8 text",
        })
    }
}

/// Whether `text` is written as a sealed value.
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// Whether `text` is a well-formed sealed value (without opening it): the
/// prefix, then base64 (no padding) of at least a nonce and a tag.
pub fn is_well_formed(text: &str) -> bool {
    text.strip_prefix(PREFIX).and_then(base64_len).is_some_and(|n| n >= NONCE_LEN + TAG_LEN)
}

/// The number of bytes `body` decodes to as standard base64 without
/// padding, if it is that (canonical, as the decoder demands), checked
/// without decoding: `crm check` asks this of every sealed value and
/// wrapped key of the store. The alphabet is checked in one pass the
/// compiler vectorises.
pub fn base64_len(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let alphabet = bytes.iter().fold(true, |ok, &b| ok & (b.is_ascii_alphanumeric() | (b == b'+') | (b == b'/')));
    // A last group of 2 or 3 digits carries 4 or 2 bits no byte uses: they
    // must be zero.
    let spare = match bytes.len() % 4 {
        0 => 0,
        2 => 0b1111,
        3 => 0b11,
        _ => return None,
    };
    let last = bytes.last().map_or(Some(0), |&b| sextet(b))?;
    (alphabet && last & spare == 0).then_some(bytes.len() / 4 * 3 + (bytes.len() % 4).saturating_sub(1))
}

/// The value of base64 digit `b`, if it is one.
fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn decode(text: &str) -> Result<Vec<u8>, OpenError> {
    let body = text.strip_prefix(PREFIX).ok_or(OpenError::Malformed)?;
    let raw = STANDARD_NO_PAD.decode(body).map_err(|_| OpenError::Malformed)?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(OpenError::Malformed);
    }
    Ok(raw)
}

/// What a ciphertext is bound to.
fn associated_data(id: &str, field: &str) -> String {
    format!("crm sealed value v1\0{id}\0{field}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_is_whether_the_value_decodes() {
        let sealed = DataKey::generate().seal("yutong", "notes", "a note of some length");
        let mut cases = vec![sealed.clone(), PREFIX.to_string(), "sealed:v1".into(), "plain".into()];
        for end in PREFIX.len()..sealed.len() {
            cases.push(sealed[..end].to_string());
        }
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .é";
        for c in alphabet.chars() {
            for end in [sealed.len(), sealed.len() - 1, sealed.len() - 2, sealed.len() - 3] {
                let mut s = sealed[..end].to_string();
                s.pop();
                s.push(c);
                cases.push(s.clone());
                cases.push(format!("{PREFIX}{c}{}", &s[PREFIX.len() + 1..]));
            }
        }
        for case in &cases {
            assert_eq!(is_well_formed(case), decode(case).is_ok(), "{case:?}");
            let body = case.strip_prefix(PREFIX).unwrap_or(case);
            let decoded = STANDARD_NO_PAD.decode(body).ok().map(|raw| raw.len());
            assert_eq!(base64_len(body), decoded, "{body:?}");
        }
    }

    #[test]
    fn opens_only_for_its_customer_field_and_key() {
        let key = DataKey::generate();
        let sealed = key.seal("yutong", "contacts[0].phone", "+86 371 5555 0101");
        assert!(is_sealed(&sealed) && is_well_formed(&sealed));
        assert_eq!(key.open("yutong", "contacts[0].phone", &sealed).unwrap(), "+86 371 5555 0101");
        assert_eq!(key.open("kinglong", "contacts[0].phone", &sealed), Err(OpenError::Authentication));
        assert_eq!(key.open("yutong", "contacts[1].phone", &sealed), Err(OpenError::Authentication));
        assert_eq!(DataKey::generate().open("yutong", "contacts[0].phone", &sealed), Err(OpenError::Authentication));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(key.open("yutong", "contacts[0].phone", &tampered), Err(OpenError::Authentication));
        assert_eq!(key.open("yutong", "notes", "sealed:v1:abc"), Err(OpenError::Malformed));
        assert_eq!(key.open("yutong", "notes", "plain"), Err(OpenError::Malformed));
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let key = DataKey::generate();
        assert_ne!(key.seal("a", "notes", "x"), key.seal("a", "notes", "x"));
    }
}
