//! Checking a commit's signature against the staff's keys: SSH signatures
//! in-process (the `ssh-key` crate's SSHSIG support, no process per
//! commit), OpenPGP through `gpg --verify` and the user's keyring.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use git2::{Oid, Repository};
use serde::Serialize;
use ssh_key::public::KeyData;
use ssh_key::{PublicKey, SshSig};

use crate::model::staff::same_key;
use crate::model::{Handle, Staff};

/// What a commit's signature says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigStatus {
    /// Valid, by a key listed in staff/.
    Good,
    /// Not signed.
    None,
    /// Signed, but the signature does not match the commit.
    Bad,
    /// Signed by a key no staff member lists (or gpg does not know).
    UnknownKey,
}

impl SigStatus {
    /// The status as shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            SigStatus::Good => "good",
            SigStatus::None => "none",
            SigStatus::Bad => "bad",
            SigStatus::UnknownKey => "unknown key",
        }
    }
}

/// A checked signature: its status and, when good, whose key made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The verdict.
    pub status: SigStatus,
    /// The staff member whose key made a good signature.
    pub signer: Option<Handle>,
}

/// The staff's public keys, parsed once.
#[derive(Debug, Default)]
pub struct KeyRing {
    ssh: Vec<(Handle, KeyData)>,
    openpgp: Vec<(Handle, String)>,
}

impl KeyRing {
    /// Collects every key listed in the staff files.
    pub fn from_staff(staff: &BTreeMap<Handle, Staff>) -> KeyRing {
        let mut ring = KeyRing::default();
        for person in staff.values() {
            for key in &person.keys {
                match PublicKey::from_openssh(key) {
                    Ok(public) => ring.ssh.push((person.handle.clone(), public.key_data().clone())),
                    Err(_) => ring.openpgp.push((person.handle.clone(), key.clone())),
                }
            }
        }
        ring
    }

    fn ssh_owner(&self, key: &KeyData) -> Option<&Handle> {
        self.ssh.iter().find(|(_, k)| k == key).map(|(h, _)| h)
    }

    fn openpgp_owner(&self, fingerprint: &str) -> Option<&Handle> {
        self.openpgp.iter().find(|(_, k)| same_key(k, fingerprint)).map(|(h, _)| h)
    }
}

/// Checks the signature of commit `oid` against `ring`; OpenPGP signatures
/// are checked by running `gpg_program`.
pub fn check(repo: &Repository, oid: Oid, ring: &KeyRing, gpg_program: &str) -> Checked {
    let Ok((signature, signed)) = repo.extract_signature(&oid, None) else {
        return Checked { status: SigStatus::None, signer: None };
    };
    let signature = String::from_utf8_lossy(&signature).into_owned();
    if signature.contains("BEGIN SSH SIGNATURE") {
        check_ssh(&signature, &signed, ring)
    } else {
        check_openpgp(&signature, &signed, ring, gpg_program)
    }
}

fn check_ssh(signature: &str, signed: &[u8], ring: &KeyRing) -> Checked {
    let bad = Checked { status: SigStatus::Bad, signer: None };
    let Ok(sig) = SshSig::from_pem(signature.trim()) else {
        return bad;
    };
    let Some(owner) = ring.ssh_owner(sig.public_key()) else {
        return Checked { status: SigStatus::UnknownKey, signer: None };
    };
    match PublicKey::from(sig.public_key().clone()).verify("git", signed, &sig) {
        Ok(()) => Checked { status: SigStatus::Good, signer: Some(owner.clone()) },
        Err(_) => bad,
    }
}

fn check_openpgp(signature: &str, signed: &[u8], ring: &KeyRing, gpg_program: &str) -> Checked {
    let verdict = |status, signer| Checked { status, signer };
    let Ok(mut sig_file) = tempfile::NamedTempFile::new() else {
        return verdict(SigStatus::UnknownKey, None);
    };
    if sig_file.write_all(signature.as_bytes()).is_err() {
        return verdict(SigStatus::UnknownKey, None);
    }
    let child = Command::new(gpg_program)
        .args(["--status-fd=1", "--verify"])
        .arg(sig_file.path())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return verdict(SigStatus::UnknownKey, None);
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(signed);
    }
    let Ok(out) = child.wait_with_output() else {
        return verdict(SigStatus::UnknownKey, None);
    };
    let status = String::from_utf8_lossy(&out.stdout);
    let field = |tag: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("[GNUPG:] ")?.strip_prefix(tag)?.split_whitespace().next().map(str::to_string))
    };
    if status.contains("[GNUPG:] BADSIG") {
        return verdict(SigStatus::Bad, None);
    }
    match field("VALIDSIG ") {
        Some(fpr) => match ring.openpgp_owner(&fpr) {
            Some(owner) => verdict(SigStatus::Good, Some(owner.clone())),
            None => verdict(SigStatus::UnknownKey, None),
        },
        None if status.contains("[GNUPG:] ERRSIG") || status.contains("NO_PUBKEY") => {
            verdict(SigStatus::UnknownKey, None)
        }
        None => verdict(SigStatus::Bad, None),
    }
}
