//! A staff member (`staff/<handle>.toml`): who they are, their role, whether
//! they are still with the company, and the keys they sign with.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::date::Date;
use super::ids::Handle;

/// One person of the company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// The handle (file stem); not stored in the file.
    #[serde(skip_deserializing, default = "placeholder_handle")]
    pub handle: Handle,
    /// Display name.
    pub name: String,
    /// Email; maps a git identity to this person.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Sales region.
    #[serde(default)]
    pub region: Option<String>,
    /// Whether they are still with the company.
    #[serde(default)]
    pub status: StaffStatus,
    /// First day.
    #[serde(default)]
    pub joined: Option<Date>,
    /// Last day, set on departure.
    #[serde(default)]
    pub left: Option<Date>,
    /// Whether they may be rehired, set on departure.
    #[serde(default)]
    pub rehire: Option<bool>,
    /// Public signing keys: SSH public keys or OpenPGP fingerprints.
    #[serde(default)]
    pub keys: Vec<String>,
}

fn placeholder_handle() -> Handle {
    Handle::parse("unknown").expect("valid handle")
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sales representative.
    Rep,
    /// Sales manager.
    Manager,
    /// Administrator: may change crm.toml and staff/.
    Admin,
    /// An unattended job's identity (cron): its own key, permitted only
    /// pool releases of customers that are due; it owns no customers.
    Service,
}

/// Whether a staff member is with the company.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaffStatus {
    /// Works here.
    #[default]
    Active,
    /// Has left.
    Departed,
}

impl Role {
    /// The role as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Role> {
        match s {
            "rep" => Ok(Role::Rep),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            "service" => Ok(Role::Service),
            _ => Err(crate::Error::invalid("role", s, "expected rep, manager, admin or service")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for StaffStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StaffStatus::Active => "active",
            StaffStatus::Departed => "departed",
        })
    }
}

impl Staff {
    /// Whether this person is still with the company.
    pub fn is_active(&self) -> bool {
        self.status == StaffStatus::Active
    }

    /// Whether this is a person who works customers (a rep, manager or
    /// admin), not a service identity.
    pub fn is_person(&self) -> bool {
        self.role != Role::Service
    }

    /// Whether `key` (an SSH public key or an OpenPGP fingerprint) is one of
    /// this person's. SSH keys compare by type and base64 blob (the comment
    /// does not count); fingerprints ignore case and spaces, and a long key
    /// id matches the end of a fingerprint.
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| same_key(k, key))
    }
}

/// Whether two written keys denote the same key (see [`Staff::has_key`]).
pub fn same_key(a: &str, b: &str) -> bool {
    let ssh = |k: &str| {
        let mut parts = k.split_whitespace();
        Some((parts.next()?.to_string(), parts.next()?.to_string()))
    };
    if a.starts_with("ssh-") || a.starts_with("ecdsa-") || a.starts_with("sk-") {
        return ssh(a).is_some() && ssh(a) == ssh(b);
    }
    let norm = |k: &str| -> String { k.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase() };
    let (a, b) = (norm(a), norm(b));
    a.len() >= 16 && b.len() >= 16 && (a.ends_with(&b) || b.ends_with(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_without_comments_or_case() {
        assert!(same_key("ssh-ed25519 AAAAC3 a@laptop", "ssh-ed25519 AAAAC3"));
        assert!(!same_key("ssh-ed25519 AAAAC3 a@laptop", "ssh-ed25519 AAAAC4 a@laptop"));
        assert!(same_key("ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234", "abcd1234abcd1234"));
        assert!(!same_key("1234", "1234"));
    }

    #[test]
    fn reads_a_staff_file() {
        let src = "name = \"张伟\"\nemail = \"z@x\"\nrole = \"rep\"\nstatus = \"departed\"\nleft = 2026-11-01\nrehire = false\n";
        let s: Staff = toml::from_str(src).unwrap();
        assert_eq!(s.role, Role::Rep);
        assert!(!s.is_active());
        assert_eq!(s.left.unwrap().to_string(), "2026-11-01");
        assert!(toml::from_str::<Staff>("name = \"a\"\nemail = \"b\"\nrole = \"boss\"\n").is_err());
    }
}
