//! `crm check`: the current state of every file against the schema, the
//! references between files, and the policy. Every problem is reported in
//! one run, each with a stable rule id ([`rules`]); customer files are
//! parsed in parallel, each read once.

pub mod rules;

use crate::seal::audit::Auditor;
use crate::seal::ring::{ring_info, ring_of_path, ring_path, Keyring, RingCache, RingInfo, RingMap, RINGS_DIR};
use crate::seal::{record, Readers};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::model::customer::ParsedCustomer;
use crate::model::date::Date;
use crate::model::ids::shard_of;
use crate::model::rule_ids::CheckRule;
use crate::model::schema::{from_toml, line_col, utf8_error_at};
use crate::model::validity;
use crate::model::{Customer, CustomerId, Handle, Policy, Staff, StaffStatus, StoreConfig};
use crate::ops::list::is_stale_relationship;
use crate::store::layout::{toml_stem, CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use crate::store::source::{Content, Item, Source, MAX_FILE};
use crate::store::treeshape::ShapeProblem;
use crate::store::Repo;
use crate::store::Store;
use crate::{Error, Result};
use rules::{rule, Severity};

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// File, from the store root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// error or warning.
    pub severity: Severity,
    /// Stable rule id.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: &'static str,
    /// The offending source line, when there is one.
    #[serde(skip)]
    pub source: Option<String>,
}

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Findings, errors first, then by file and line.
    pub findings: Vec<Finding>,
    /// Files read.
    pub files: usize,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

/// One customer file's findings, and its owner and value (when readable).
type Judged = (Vec<Finding>, Option<(String, u64)>);

/// Checks the files of `source` as of `today`, and the shape of the tree
/// they come from (what a checkout cannot show).
fn run(source: &Source, today: Date, identities: Option<&[age::ssh::Identity]>) -> Result<CheckReport> {
    let items = source.list()?;
    let reader = source.opener()?;
    let files = items.len();
    let mut c = Checker { findings: Vec::new() };
    let mut config_text = None;
    let mut staff_texts = Vec::new();
    let mut customer_items = Vec::new();
    let mut ring_items = Vec::new();
    let (rings_dir, staff_dir) = (format!("{RINGS_DIR}/"), format!("{STAFF_DIR}/"));
    for item in items {
        if item.path.starts_with(&rings_dir) {
            ring_items.push(item);
        } else if item.path == CONFIG_FILE || item.path.starts_with(&staff_dir) {
            let content = source.read(&item, reader.as_ref())?;
            let Some(text) = c.readable(&item.path, content) else { continue };
            if item.path == CONFIG_FILE {
                config_text = Some(text);
            } else {
                staff_texts.push((item.path, text));
            }
        } else {
            customer_items.push(item);
        }
    }
    let (rings, known) = c.rings(source, ring_items)?;
    let config = c.config(config_text.as_deref());
    c.exempt_tiers(&config, config_text.as_deref().unwrap_or_default());
    let staff = c.staff(&staff_texts, &config.policy);
    let readable_staff: BTreeMap<Handle, Staff> =
        staff.iter().filter_map(|(h, p)| Some((Handle::parse(h).ok()?, p.clone()?))).collect();
    let readers = config.seal.as_ref().map(|seal| Readers::new(&config, seal, &readable_staff));
    if let Some(readers) = &readers {
        c.keyless(readers);
    }
    let sealing = config.seal.as_ref().zip(readers.as_ref());
    let keys = record::KeyList(identities.unwrap_or_default());
    let keyring = Keyring::new(Box::new(rings), &keys, Arc::new(known));
    let open = identities.is_some();
    // Each customer file is read, parsed and judged on its own, on every
    // core; only its findings and its owner's share stay in memory.
    let judged: Vec<Judged> = c
        .customer_paths(customer_items)
        .into_par_iter()
        .map_init(
            || {
                (
                    source.opener().ok().flatten(),
                    sealing.map(|(seal, readers)| Auditor::new(seal, readers, &keyring, open)),
                )
            },
            |(repo, auditor), (item, id)| {
                let mut own = Checker { findings: Vec::new() };
                let content = match source.read(&item, repo.as_ref()) {
                    Ok(content) => content,
                    Err(e) => {
                        own.file(&item.path, CheckRule::NotAFile, format!("cannot be read: {e}"));
                        return (own.findings, None);
                    }
                };
                let Some(text) = own.readable(&item.path, content) else { return (own.findings, None) };
                let p = Customer::parse_all(&id, &text);
                for problem in p.errors.iter().chain(&p.warnings) {
                    own.at(&item.path, &text, problem.line, problem.column, problem.rule, problem.message.clone());
                }
                let share = p.customer.as_ref().and_then(|customer| {
                    own.customer(&item.path, &text, &p, customer, &config, &staff, today);
                    if let Some(auditor) = auditor {
                        for f in auditor.audit(customer) {
                            own.key(&item.path, &text, p.offset(&text, &f.path), f.rule, f.message);
                        }
                    }
                    // The pool is nobody's share.
                    (!customer.is_pooled()).then(|| (customer.owner.clone(), customer.value.unwrap_or(0)))
                });
                (own.findings, share)
            },
        )
        .collect();
    let mut shares = Vec::with_capacity(judged.len());
    for (mut findings, share) in judged {
        c.findings.append(&mut findings);
        shares.extend(share);
    }
    c.concentration(&shares, &config.policy);
    c.shape(source.shape_problems()?);
    let mut findings = c.findings;
    findings.sort_by(|a, b| (a.severity, &a.path, a.line, a.column).cmp(&(b.severity, &b.path, b.line, b.column)));
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    Ok(CheckReport { warnings: findings.len() - errors, errors, findings, files })
}

/// Checks the work tree of `store`, and the shape of its HEAD commit's
/// tree. With `identities` (the recovery key, in CI), every sealed value
/// is also opened.
pub fn work_tree(store: &Store, today: Date, identities: Option<&[age::ssh::Identity]>) -> Result<CheckReport> {
    run(&store.work_tree_source()?, today, identities)
}

/// Checks the tree of revision `rev` in `repo` (see [`work_tree`]).
pub fn revision(repo: &Repo, rev: &str, today: Date, identities: Option<&[age::ssh::Identity]>) -> Result<CheckReport> {
    run(&repo.revision_source(rev)?, today, identities)
}

struct Checker {
    findings: Vec<Finding>,
}

impl Checker {
    /// Records a finding at a position of `text`.
    fn at(&mut self, path: &str, text: &str, line: usize, column: usize, rule_id: CheckRule, message: String) {
        let r = rule(rule_id);
        let source = text.lines().nth(line.saturating_sub(1)).map(str::to_string);
        self.findings.push(Finding {
            path: path.into(),
            line,
            column,
            severity: r.severity,
            rule: r.id,
            message,
            help: r.help,
            source,
        });
    }

    /// Reports the tree's shape problems that the files read did not
    /// already show.
    fn shape(&mut self, problems: Vec<ShapeProblem>) {
        for p in problems {
            if !self.findings.iter().any(|f| f.path == p.path && f.rule == p.rule.id()) {
                self.file(&p.path, p.rule, p.message);
            }
        }
    }

    /// Records a finding about a whole file.
    fn file(&mut self, path: &str, rule_id: CheckRule, message: String) {
        self.at(path, "", 1, 1, rule_id, message);
    }

    /// Records a finding at the key at `offset` (or the file's start).
    fn key(&mut self, path: &str, text: &str, offset: Option<usize>, rule_id: CheckRule, message: String) {
        let (line, column) = offset.map_or((1, 1), |o| line_col(text, o));
        self.at(path, text, line, column, rule_id, message);
    }

    /// The ring files of `items` by id, and what each says, after
    /// reporting those that are not rings.
    fn rings(&mut self, source: &Source, items: Vec<Item>) -> Result<(RingMap, RingCache)> {
        // Read and hashed on every core: a store has a ring per set of
        // readers, thousands of them.
        let read: Vec<(String, Result<Content>)> = items
            .into_par_iter()
            .map_init(
                || source.opener().ok().flatten(),
                |repo, item| {
                    let content = source.read(&item, repo.as_ref());
                    (item.path, content)
                },
            )
            .collect();
        let mut rings = RingMap::default();
        let mut known = Vec::new();
        for (path, content) in read {
            let Content::Bytes(bytes) = content? else {
                self.file(&path, CheckRule::SealMalformed, "is not a regular ring file".into());
                continue;
            };
            let Some(id) = ring_of_path(&path) else {
                self.file(&path, CheckRule::SealMalformed, format!("ring files are named {RINGS_DIR}/ID.age"));
                continue;
            };
            rings.0.insert(id.to_string(), bytes);
        }
        let infos: Vec<(&String, Option<RingInfo>)> =
            rings.0.par_iter().map(|(id, bytes)| (id, ring_info(id, bytes))).collect();
        for (id, info) in infos {
            match info {
                Some(info) => known.push((id.clone(), info)),
                None => {
                    let why = "is not a ring: its content must hash to its name and be `made-by TAG` and the base64 of an age file, each reader once";
                    self.file(&ring_path(id), CheckRule::SealMalformed, why.into());
                }
            }
        }
        Ok((rings, RingCache::knowing(known)))
    }

    /// The text of an entry, or `None` after reporting why it has none.
    fn readable(&mut self, path: &str, content: Content) -> Option<String> {
        let is_record = toml_stem(path.rsplit('/').next().unwrap_or_default()).is_some();
        match content {
            Content::Link => {
                self.file(path, CheckRule::NotAFile, "is a symbolic link; crm does not follow links".into())
            }
            Content::Other => self.file(path, CheckRule::NotAFile, "is not a regular file".into()),
            Content::TooLarge(n) => self.file(
                path,
                CheckRule::FileTooLarge,
                format!("is {n} bytes; records are limited to {MAX_FILE} bytes"),
            ),
            Content::Bytes(_) if !is_record => {
                self.file(path, CheckRule::StrayFile, "is not a .toml record file".into());
            }
            Content::Bytes(bytes) => match String::from_utf8(bytes) {
                Ok(text) => return Some(text),
                Err(e) => {
                    let good = e.utf8_error().valid_up_to();
                    let bytes = e.into_bytes();
                    let (line, column) = utf8_error_at(&bytes, good);
                    let message = format!("invalid UTF-8 at byte {good}");
                    self.at(path, &String::from_utf8_lossy(&bytes), line, column, CheckRule::InvalidUtf8, message);
                }
            },
        }
        None
    }

    fn config(&mut self, text: Option<&str>) -> StoreConfig {
        let fallback = || StoreConfig {
            seal: None,
            company: crate::model::Company { name: String::new(), currency: "CNY".into() },
            policy: Policy::default(),
            report: Default::default(),
            pool: Default::default(),
        };
        let Some(text) = text else {
            self.file(CONFIG_FILE, CheckRule::MissingConfig, "crm.toml is missing".into());
            return fallback();
        };
        match from_toml::<StoreConfig>(CONFIG_FILE, text) {
            Ok(config) => config,
            Err(e) => {
                self.parse_error(CONFIG_FILE, text, CheckRule::MissingConfig, e);
                fallback()
            }
        }
    }

    /// `[pool] exempt_tiers` entries that are not tiers of the policy.
    fn exempt_tiers(&mut self, config: &StoreConfig, text: &str) {
        for tier in config.unknown_exempt_tiers() {
            let message = format!("[pool] exempt_tiers entry `{tier}` {}", config.unknown_tier_reason());
            self.key(CONFIG_FILE, text, text.find("exempt_tiers"), CheckRule::InvalidValue, message);
        }
    }

    /// Staff nothing can be sealed to, and recovery keys that cannot be
    /// used, in a sealed store.
    fn keyless(&mut self, readers: &Readers) {
        for (handle, why) in &readers.keyless {
            let path = format!("{STAFF_DIR}/{handle}.toml");
            self.file(&path, CheckRule::SealNoKey, format!("{handle} cannot receive sealed customers: {why}"));
        }
        for (key, why) in &readers.bad_recovery {
            let key: String = key.chars().take(40).collect();
            self.file(CONFIG_FILE, CheckRule::SealNoKey, format!("recovery key `{key}…` cannot be used: {why}"));
        }
    }

    fn parse_error(&mut self, path: &str, text: &str, rule_id: CheckRule, e: Error) {
        match e {
            Error::Malformed { line, column, message, .. } => self.at(path, text, line, column, rule_id, message),
            other => self.file(path, rule_id, other.to_string()),
        }
    }

    fn staff(&mut self, entries: &[(String, String)], policy: &Policy) -> BTreeMap<String, Option<Staff>> {
        let mut staff = BTreeMap::new();
        for (path, text) in entries {
            let stem = path.rsplit('/').next().and_then(toml_stem).unwrap_or_default();
            if path.matches('/').count() != 1 {
                self.file(path, CheckRule::MisplacedFile, format!("staff files belong directly in {STAFF_DIR}/"));
                continue;
            }
            let Ok(handle) = Handle::parse(stem) else {
                self.file(path, CheckRule::InvalidHandle, format!("`{stem}` is not a valid handle"));
                continue;
            };
            match from_toml::<Staff>(path, text) {
                Ok(mut person) => {
                    person.handle = handle.clone();
                    if let Some(region) = &person.region {
                        if !policy.allows_region(region) {
                            self.file(
                                path,
                                CheckRule::UnknownRegion,
                                format!("region `{region}` is not in [policy].regions"),
                            );
                        }
                    }
                    for key in &person.keys {
                        let other = staff.iter().find_map(|(h, p): (&String, &Option<Staff>)| {
                            p.as_ref().filter(|p| p.has_key(key)).map(|_| h.clone())
                        });
                        if let Some(other) = other {
                            self.file(
                                path,
                                CheckRule::SharedKey,
                                format!("a key of `{stem}` is also listed for `{other}`"),
                            );
                        }
                    }
                    staff.insert(stem.to_string(), Some(person));
                }
                Err(e) => {
                    self.parse_error(path, text, CheckRule::InvalidStaff, e);
                    // Known to exist, so references to them are not "unknown".
                    staff.insert(stem.to_string(), None);
                }
            }
        }
        staff
    }

    /// Checks where customer files sit; returns those worth parsing.
    fn customer_paths(&mut self, items: Vec<Item>) -> Vec<(Item, CustomerId)> {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let path = item.path.clone();
            let parts: Vec<&str> = path.split('/').collect();
            let [_, shard, file] = parts[..] else {
                self.file(
                    &path,
                    CheckRule::MisplacedFile,
                    format!("customer files belong at {CUSTOMERS_DIR}/XX/ID.toml"),
                );
                continue;
            };
            let stem = toml_stem(file).unwrap_or(file);
            let Ok(id) = CustomerId::parse(stem) else {
                self.file(&path, CheckRule::InvalidId, format!("`{stem}` is not a valid customer id"));
                continue;
            };
            let want = shard_of(stem);
            if shard != want {
                self.file(
                    &path,
                    CheckRule::WrongShard,
                    format!("belongs in {CUSTOMERS_DIR}/{want}/ (shard of `{stem}`), not {shard}/"),
                );
            }
            if let Some(first) = seen.get(stem) {
                self.file(&path, CheckRule::DuplicateId, format!("id `{stem}` is also used by {first}"));
                continue;
            }
            seen.insert(stem.to_string(), path.clone());
            out.push((item, id));
        }
        out
    }

    /// Reports what is wrong with customer `c` (read from `text` at
    /// `path`): the shared definition of a valid customer, then what time
    /// makes of it (handovers, staleness) and thin key relationships.
    #[allow(clippy::too_many_arguments)]
    fn customer(
        &mut self,
        path: &str,
        text: &str,
        p: &ParsedCustomer,
        c: &Customer,
        config: &StoreConfig,
        staff: &BTreeMap<String, Option<Staff>>,
        today: Date,
    ) {
        let policy = &config.policy;
        for problem in validity::problems(c, policy, staff) {
            let at = p.offset(text, &problem.field).or_else(|| p.offset(text, "tier"));
            self.key(path, text, at, problem.rule, problem.message);
        }
        let owner_at = p.offset(text, "owner");
        if let Some((rule, message)) = handover(c, staff, policy, today) {
            self.key(path, text, owner_at, rule, message);
        }
        if c.tier == "key" && policy.key_backup && c.contacts.len() < 2 {
            let n = c.contacts.len();
            let message = format!("key account with {n} contact(s); relationships should not hang on one person");
            self.key(path, text, p.offset(text, "tier"), CheckRule::SingleThreaded, message);
        }
        if is_stale_relationship(c, config, today) {
            let last = c.last_touch().map_or("never touched".to_string(), |d| format!("last touch {d}"));
            let message = format!("{last}; stale after {} days", policy.stale_after_days);
            self.key(path, text, owner_at, CheckRule::StaleRelationship, message);
        }
    }

    fn concentration(&mut self, shares: &[(String, u64)], policy: &Policy) {
        let total: u64 = shares.iter().map(|(_, v)| v).sum();
        if total == 0 {
            return;
        }
        let mut by_owner: BTreeMap<&str, u64> = BTreeMap::new();
        for (owner, value) in shares {
            *by_owner.entry(owner).or_default() += value;
        }
        for (owner, value) in by_owner {
            let share = value as f64 / total as f64;
            if share > policy.max_owner_share {
                let path = format!("{STAFF_DIR}/{owner}.toml");
                let message = format!(
                    "`{owner}` owns {:.0}% of total customer value (max_owner_share = {:.0}%)",
                    share * 100.0,
                    policy.max_owner_share * 100.0
                );
                self.file(&path, CheckRule::OwnerConcentration, message);
            }
        }
    }
}

/// The handover finding of a customer whose owner has left: pending until
/// `left + handover_days`, overdue after.
fn handover(
    c: &Customer,
    staff: &BTreeMap<String, Option<Staff>>,
    policy: &Policy,
    today: Date,
) -> Option<(CheckRule, String)> {
    let Some(Some(owner)) = staff.get(&c.owner) else { return None };
    if owner.status != StaffStatus::Departed {
        return None;
    }
    let deadline = owner.left.map(|l| l.plus_days(i64::from(policy.handover_days)));
    Some(match deadline {
        Some(d) if d >= today => (
            CheckRule::HandoverPending,
            format!("owner `{}` has left; hand over by {d} ({} days left)", c.owner, today.days_until(d)),
        ),
        Some(d) => (CheckRule::HandoverOverdue, format!("owner `{}` has left; the handover was due {d}", c.owner)),
        None => (CheckRule::HandoverOverdue, format!("owner `{}` has left", c.owner)),
    })
}
