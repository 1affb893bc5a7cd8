//! `crm.toml`: the company's settings and the policy that `check`, `verify`
//! and the reports enforce.

use serde::{Deserialize, Serialize};

use super::staff::Role;

/// The whole of `crm.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreConfig {
    /// The company.
    pub company: Company,
    /// Rules.
    #[serde(default)]
    pub policy: Policy,
}

/// `[company]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Company name.
    pub name: String,
    /// Currency of customer values.
    #[serde(default = "default_currency")]
    pub currency: String,
}

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Every store commit must be signed by a staff key.
    pub require_signed: bool,
    /// No touch for this many days makes a relationship stale.
    pub stale_after_days: u32,
    /// A departed person's customers must be reassigned within this many days.
    pub handover_days: u32,
    /// Key accounts need an active backup who is not the owner.
    pub key_backup: bool,
    /// Warn when one owner holds more than this share of total value.
    pub max_owner_share: f64,
    /// Who may move customers between other people.
    pub reassign_roles: Vec<Role>,
    /// Allowed tiers.
    pub tiers: Vec<String>,
    /// Allowed regions; empty means free text.
    pub regions: Vec<String>,
    /// Keys a forge (GitHub, GitLab, Gitea) signs web-UI merges with; such
    /// a merge is accepted only when it changes nothing of its own.
    pub forge_keys: Vec<String>,
}

fn default_currency() -> String {
    "CNY".into()
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_signed: false,
            stale_after_days: 90,
            handover_days: 14,
            key_backup: true,
            max_owner_share: 0.25,
            reassign_roles: vec![Role::Manager, Role::Admin],
            tiers: vec!["key".into(), "standard".into(), "prospect".into()],
            regions: Vec::new(),
            forge_keys: Vec::new(),
        }
    }
}

impl Policy {
    /// Whether `tier` is one of the allowed tiers.
    pub fn allows_tier(&self, tier: &str) -> bool {
        self.tiers.iter().any(|t| t == tier)
    }

    /// Whether `region` is allowed (any region when the list is empty).
    pub fn allows_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// Whether `role` may move customers between other people.
    pub fn may_reassign(&self, role: Role) -> bool {
        self.reassign_roles.contains(&role)
    }
}
