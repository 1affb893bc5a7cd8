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

use super::{ObjectId, Repo};
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
    /// Signed by an OpenPGP key that is revoked or expired, or with an
    /// expired signature (gpg's REVKEYSIG, EXPKEYSIG, EXPSIG).
    Revoked,
}

impl SigStatus {
    /// The status as shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            SigStatus::Good => "good",
            SigStatus::None => "none",
            SigStatus::Bad => "bad",
            SigStatus::UnknownKey => "unknown key",
            SigStatus::Revoked => "revoked",
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
    /// Whether a good signature was made by a forge's key (a web-UI merge).
    pub forge: bool,
}

/// How to run gpg for OpenPGP signatures.
#[derive(Debug, Clone)]
pub struct Gpg {
    /// The program (git's `gpg.program`).
    pub program: String,
    /// A keyring directory (`--homedir`), else gpg's default.
    pub home: Option<std::path::PathBuf>,
}

impl Gpg {
    /// gpg as git is configured to run it (`gpg.openpgp.program`, else
    /// `gpg.program`, else `gpg`).
    pub(crate) fn configured(repo: &git2::Repository) -> Gpg {
        let program = repo
            .config()
            .and_then(|c| c.get_string("gpg.openpgp.program").or_else(|_| c.get_string("gpg.program")))
            .unwrap_or_else(|_| "gpg".into());
        Gpg { program, home: None }
    }
}

impl Default for Gpg {
    fn default() -> Self {
        Gpg { program: "gpg".into(), home: None }
    }
}

/// The staff's public keys, parsed once.
#[derive(Debug, Default)]
pub struct KeyRing {
    ssh: Vec<(Handle, KeyData)>,
    openpgp: Vec<(Handle, String)>,
    forge_ssh: Vec<KeyData>,
    forge_openpgp: Vec<String>,
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

    /// Adds keys a forge signs web-UI merges with (crm.toml `forge_keys`).
    pub fn add_forge_keys(&mut self, keys: &[String]) {
        for key in keys {
            match PublicKey::from_openssh(key) {
                Ok(public) => self.forge_ssh.push(public.key_data().clone()),
                Err(_) => self.forge_openpgp.push(key.clone()),
            }
        }
    }

    fn ssh_owner(&self, key: &KeyData) -> Option<&Handle> {
        self.ssh.iter().find(|(_, k)| k == key).map(|(h, _)| h)
    }

    fn openpgp_owner(&self, fingerprint: &str) -> Option<&Handle> {
        self.openpgp.iter().find(|(_, k)| same_key(k, fingerprint)).map(|(h, _)| h)
    }
}

/// Checks the signature of commit `oid` against `ring`; OpenPGP signatures
/// are checked by running gpg.
pub fn check(repo: &Repository, oid: Oid, ring: &KeyRing, gpg: &Gpg) -> Checked {
    let Ok((signature, signed)) = repo.extract_signature(&oid, None) else {
        return verdict(SigStatus::None, None);
    };
    let signature = String::from_utf8_lossy(&signature).into_owned();
    if signature.contains("BEGIN SSH SIGNATURE") {
        check_ssh(&signature, &signed, ring)
    } else {
        check_openpgp(&signature, &signed, ring, gpg)
    }
}

impl Repo {
    /// [`check`] of commit `commit` of this repository.
    pub fn check_signature(&self, commit: ObjectId, ring: &KeyRing, gpg: &Gpg) -> Checked {
        check(&self.git, commit.git(), ring, gpg)
    }
}

fn verdict(status: SigStatus, signer: Option<Handle>) -> Checked {
    Checked { status, signer, forge: false }
}

fn check_ssh(signature: &str, signed: &[u8], ring: &KeyRing) -> Checked {
    let Ok(sig) = SshSig::from_pem(signature.trim()) else { return verdict(SigStatus::Bad, None) };
    let owner = ring.ssh_owner(sig.public_key()).cloned();
    let forge = owner.is_none() && ring.forge_ssh.contains(sig.public_key());
    if owner.is_none() && !forge {
        return verdict(SigStatus::UnknownKey, None);
    }
    match PublicKey::from(sig.public_key().clone()).verify("git", signed, &sig) {
        Ok(()) => Checked { status: SigStatus::Good, signer: owner, forge },
        Err(_) => verdict(SigStatus::Bad, None),
    }
}

fn check_openpgp(signature: &str, signed: &[u8], ring: &KeyRing, gpg: &Gpg) -> Checked {
    let Some(status) = run_gpg_verify(signature, signed, gpg) else {
        return verdict(SigStatus::UnknownKey, None);
    };
    let fields = |tag: &str| -> Option<Vec<String>> {
        status.lines().find_map(|l| {
            let rest = l.strip_prefix("[GNUPG:] ")?.strip_prefix(tag)?;
            Some(rest.split_whitespace().map(str::to_string).collect())
        })
    };
    if status.contains("[GNUPG:] BADSIG") {
        return verdict(SigStatus::Bad, None);
    }
    if ["REVKEYSIG", "EXPKEYSIG", "EXPSIG"].iter().any(|tag| status.contains(&format!("[GNUPG:] {tag} "))) {
        return verdict(SigStatus::Revoked, None);
    }
    // VALIDSIG names the signing (sub)key first and the primary key last;
    // staff files usually list the primary key's fingerprint.
    match fields("VALIDSIG ") {
        Some(f) if !f.is_empty() => {
            let fingerprints: Vec<&String> = [f.first(), f.get(9)].into_iter().flatten().collect();
            let owner = fingerprints.iter().find_map(|fpr| ring.openpgp_owner(fpr));
            match owner {
                Some(owner) => verdict(SigStatus::Good, Some(owner.clone())),
                None if fingerprints.iter().any(|fpr| ring.forge_openpgp.iter().any(|k| same_key(k, fpr))) => {
                    Checked { status: SigStatus::Good, signer: None, forge: true }
                }
                None => verdict(SigStatus::UnknownKey, None),
            }
        }
        _ if status.contains("[GNUPG:] ERRSIG") || status.contains("NO_PUBKEY") => verdict(SigStatus::UnknownKey, None),
        _ => verdict(SigStatus::Bad, None),
    }
}

/// Runs `gpg --verify`; returns its status lines.
fn run_gpg_verify(signature: &str, signed: &[u8], gpg: &Gpg) -> Option<String> {
    let mut sig_file = tempfile::NamedTempFile::new().ok()?;
    sig_file.write_all(signature.as_bytes()).ok()?;
    let mut cmd = Command::new(&gpg.program);
    if let Some(home) = &gpg.home {
        cmd.arg("--homedir").arg(home);
    }
    let mut child = cmd
        .args(["--status-fd=1", "--verify"])
        .arg(sig_file.path())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(signed);
    }
    let out = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
