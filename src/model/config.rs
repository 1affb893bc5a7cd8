//! `crm.toml`: the company's settings and the policy that `check`, `verify`
//! and the reports enforce.

use serde::{Deserialize, Serialize};

use super::customer::Status;
use super::named::named_enum;
use super::staff::Role;

/// The whole of `crm.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreConfig {
    /// The company.
    pub company: Company,
    /// Rules.
    #[serde(default)]
    pub policy: Policy,
    /// Sealing (`[seal]`): present in a sealed store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<SealConfig>,
    /// How the reports read and where they are mailed from.
    #[serde(default)]
    pub report: ReportSettings,
    /// The customer pool's rules.
    #[serde(default)]
    pub pool: PoolPolicy,
}

impl StoreConfig {
    /// The `[pool] exempt_tiers` entries that `[policy] tiers` does not
    /// list. A misspelt tier exempts nothing: the key accounts it was meant
    /// to keep would go to the pool.
    pub fn unknown_exempt_tiers(&self) -> impl Iterator<Item = &str> {
        self.pool.exempt_tiers.iter().map(String::as_str).filter(|t| !self.policy.allows_tier(t))
    }

    /// Refuses a pool whose exempt tiers are not all tiers of the policy,
    /// naming the first.
    pub fn require_known_exempt_tiers(&self) -> crate::Result<()> {
        match self.unknown_exempt_tiers().next() {
            Some(tier) => Err(crate::Error::invalid(
                "[pool] exempt_tiers entry",
                tier,
                format!("{}; fix crm.toml (crm check shows it)", self.unknown_tier_reason()),
            )),
            None => Ok(()),
        }
    }

    /// Why an exempt tier is unknown, for errors and `crm check`.
    pub fn unknown_tier_reason(&self) -> String {
        format!("is not one of [policy] tiers ({})", self.policy.tiers.join(", "))
    }
}

/// `[seal]`: which values are sealed and the company's recovery keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealConfig {
    /// SSH public keys (`ssh-ed25519` or `ssh-rsa`) every customer is also
    /// sealed to; their private halves are kept offline.
    pub recovery: Vec<String>,
    /// The sealed fields, from [`SEALABLE_FIELDS`].
    #[serde(default = "default_sealed_fields")]
    pub fields: Vec<String>,
}

/// The fields that can be sealed: every value a rep's book is made of, none
/// that lists, reports and checks need.
pub const SEALABLE_FIELDS: [&str; 7] =
    ["contacts.name", "contacts.title", "contacts.phone", "contacts.email", "notes", "next_step", "touches.summary"];

fn default_sealed_fields() -> Vec<String> {
    SEALABLE_FIELDS.iter().map(|f| f.to_string()).collect()
}

impl SealConfig {
    /// A seal with the default fields and these recovery keys.
    pub fn new(recovery: Vec<String>) -> SealConfig {
        SealConfig { recovery, fields: default_sealed_fields() }
    }

    /// Every sealable field sealed, no recovery key: what opening or
    /// blanking a customer whatever the store seals goes by.
    pub fn every_field() -> SealConfig {
        SealConfig::new(Vec::new())
    }

    /// Whether the value at `path` (`notes`, `contacts[2].phone`,
    /// `touches[0].summary`) is sealed.
    pub fn seals(&self, path: &str) -> bool {
        let general = match path.split_once('[') {
            Some((table, rest)) => match rest.split_once("].") {
                Some((_, key)) => format!("{table}.{key}"),
                None => return false,
            },
            None => path.to_string(),
        };
        self.fields.contains(&general)
    }
}

/// `[report]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportSettings {
    /// The language of the reports (`--lang` wins); English when unset.
    pub lang: Option<Lang>,
    /// The `From` of mailed reports (`Name <address>` or an address).
    pub from: Option<String>,
}

named_enum! {
    /// A language the reports are written in.
    Lang("language") {
        En = "en",
        ZhCn = "zh-CN",
    }
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
    /// Which customers a manager may reassign and edit.
    pub manager_scope: ManagerScope,
    /// Paths outside the store that only admins may change: a name without
    /// `/` matches at any depth, `dir/` a directory from the root, anything
    /// else one path from the root.
    pub protected_paths: Vec<String>,
    /// Branches that may not be deleted or rewound on the server (empty:
    /// the server's default branch).
    pub protected_branches: Vec<String>,
}

/// `[pool]`: when customers go back to the company's pool (公海), and how
/// they may be claimed from it. Every rule is off until set, except the
/// cooldown, the region restriction and the exempt tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolPolicy {
    /// Days without a touch after which a customer of `release_statuses`
    /// is released (reason `no-touch`).
    pub release_after_days: Option<u32>,
    /// Days a prospect may stay unconverted before it is released (reason
    /// `unconverted`), counted from `since` or its last claim.
    pub prospect_days: Option<u32>,
    /// Tiers never released automatically: when due, such a customer goes
    /// to the manager of its region instead.
    pub exempt_tiers: Vec<String>,
    /// Claims one person may make within `claim_period_days`.
    pub claim_limit: Option<u32>,
    /// The period of `claim_limit`, in days.
    pub claim_period_days: u32,
    /// Customers a person may own and still claim another.
    pub owned_cap: Option<u32>,
    /// Days before a person may claim a customer released from them.
    pub cooldown_days: u32,
    /// Whether people claim only customers of their own region (customers
    /// without a region are anyone's).
    pub claim_in_region: bool,
    /// The statuses the no-touch rule releases (by default active and
    /// prospect; adding `dormant` keeps a rep from parking a customer). A
    /// word that is not a status is refused when `crm.toml` is read.
    pub release_statuses: Vec<Status>,
    /// Days ahead `crm agenda` and the reps' digest warn of a customer the
    /// rules will make due (0: only those due tonight).
    pub remind_days: u32,
}

impl Default for PoolPolicy {
    fn default() -> Self {
        PoolPolicy {
            release_after_days: None,
            prospect_days: None,
            exempt_tiers: vec!["key".into()],
            claim_limit: None,
            claim_period_days: 7,
            owned_cap: None,
            cooldown_days: 30,
            claim_in_region: true,
            release_statuses: vec![Status::Active, Status::Prospect],
            remind_days: 7,
        }
    }
}

impl PoolPolicy {
    /// Whether customers of `tier` go to their region's manager instead of
    /// the pool.
    pub fn exempts(&self, tier: &str) -> bool {
        self.exempt_tiers.iter().any(|t| t == tier)
    }
}

/// `[policy] manager_scope`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagerScope {
    /// Managers act on the customers of their own region (and customers
    /// without a region); admins company-wide.
    #[default]
    Region,
    /// Managers act on every customer.
    Company,
}

/// The default `protected_paths`: what changes how git or CI reads the
/// repository.
pub const DEFAULT_PROTECTED_PATHS: &[&str] = &[
    ".gitattributes",
    ".gitmodules",
    ".github/",
    ".gitlab-ci.yml",
    ".gitlab/",
    ".forgejo/",
    ".gitea/",
    ".woodpecker/",
    ".woodpecker.yml",
    ".circleci/",
    ".ci/",
    "Jenkinsfile",
];

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
            manager_scope: ManagerScope::Region,
            protected_paths: DEFAULT_PROTECTED_PATHS.iter().map(|p| p.to_string()).collect(),
            protected_branches: Vec::new(),
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

    /// Whether `path` (outside the store's files) is one only admins may
    /// change.
    pub fn is_protected_path(&self, path: &str) -> bool {
        self.protected_paths.iter().any(|pattern| match pattern.strip_suffix('/') {
            Some(dir) => path.starts_with(&format!("{dir}/")),
            None if !pattern.contains('/') => path.rsplit('/').next() == Some(pattern.as_str()),
            None => path == pattern,
        })
    }

    /// Whether `role` may move customers between other people.
    pub fn may_reassign(&self, role: Role) -> bool {
        self.reassign_roles.contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_settings_are_optional_and_the_language_is_checked() {
        let config: StoreConfig = toml::from_str("[company]\nname = \"X\"\n").unwrap();
        assert_eq!(config.report, ReportSettings::default());
        let config: StoreConfig =
            toml::from_str("[company]\nname = \"X\"\n[report]\nlang = \"zh-CN\"\nfrom = \"crm <crm@x.cn>\"\n").unwrap();
        assert_eq!(config.report.lang, Some(Lang::ZhCn));
        assert_eq!(config.report.from.as_deref(), Some("crm <crm@x.cn>"));
        let bad = toml::from_str::<StoreConfig>("[company]\nname = \"X\"\n[report]\nlang = \"fr\"\n").unwrap_err();
        assert!(bad.to_string().contains("unknown language `fr` (known: en, zh-CN)"), "{bad}");
    }

    #[test]
    fn pool_statuses_are_words_of_the_format_and_exempt_tiers_tiers_of_the_policy() {
        let config: StoreConfig =
            toml::from_str("[company]\nname = \"X\"\n[pool]\nrelease_statuses = [\"dormant\"]\n").unwrap();
        assert_eq!(config.pool.release_statuses, vec![Status::Dormant]);
        let bad = toml::from_str::<StoreConfig>("[company]\nname = \"X\"\n[pool]\nrelease_statuses = [\"Active\"]\n")
            .unwrap_err();
        assert!(bad.to_string().contains("unknown status `Active` (known: prospect, active, dormant, lost)"), "{bad}");
        assert!(config.require_known_exempt_tiers().is_ok(), "the default exempts key, a default tier");
        let typo: StoreConfig =
            toml::from_str("[company]\nname = \"X\"\n[pool]\nexempt_tiers = [\"key\", \"Key\"]\n").unwrap();
        assert_eq!(typo.unknown_exempt_tiers().collect::<Vec<_>>(), ["Key"]);
        let e = typo.require_known_exempt_tiers().unwrap_err().to_string();
        assert!(e.contains("`Key`: is not one of [policy] tiers (key, standard, prospect)"), "{e}");
    }

    #[test]
    fn protected_paths_match_names_anywhere_directories_from_the_root() {
        let p = Policy::default();
        for path in [".gitattributes", "customers/0a/.gitattributes", ".github/workflows/ci.yml", ".gitmodules"] {
            assert!(p.is_protected_path(path), "{path}");
        }
        for path in ["README.md", "docs/.github/x", "customers/0a/x.toml", ".gitattributes.bak"] {
            assert!(!p.is_protected_path(path), "{path}");
        }
    }
}
