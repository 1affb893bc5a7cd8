//! Who a customer is sealed to: the ownership policy, read as a list of
//! public keys. The owner (for a customer in the pool, everyone who may
//! claim it), the backup, the managers whose scope holds the customer, the
//! admins — all while active — and the company's recovery keys. Worked out once per command for all staff ([`Readers`]), then per
//! customer by lookups only.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::envelope::{Recipient, Unusable};
use crate::model::config::{ManagerScope, PoolPolicy, SealConfig};
use crate::model::pool;
use crate::model::StoreConfig;
use crate::model::{Customer, Handle, Role, Staff};

/// The label of the recovery keys in `sealed_to`.
pub const RECOVERY: &str = "@recovery";

/// The staff and recovery keys of a sealed store, parsed once.
pub struct Readers {
    /// Active staff and the keys of theirs sealing can use, by handle: a
    /// customer's readers are worked out as positions in it.
    people: Vec<(String, Vec<Recipient>)>,
    /// Active managers who reach every customer (`manager_scope =
    /// "company"`), or all of them (customers without a region).
    managers: Vec<usize>,
    /// Whether managers reach only their region's customers.
    by_region: bool,
    /// Active managers by region.
    managers_by_region: HashMap<String, Vec<usize>>,
    /// Active admins.
    admins: Vec<usize>,
    /// The staff, for who may claim a pooled customer.
    staff: BTreeMap<Handle, Staff>,
    /// The pool's rules.
    pool: PoolPolicy,
    recovery: Vec<Recipient>,
    /// Active staff without a key sealing can use, and why.
    pub keyless: Vec<(String, String)>,
    /// Recovery keys that cannot be used, and why.
    pub bad_recovery: Vec<(String, String)>,
}

/// The recipients a customer must be sealed to.
pub struct Target<'r> {
    /// `sealed_to`: handles, then [`RECOVERY`].
    pub to: Vec<&'r str>,
    /// Every key, in the order of `to`.
    pub recipients: Vec<&'r Recipient>,
}

impl Target<'_> {
    /// The stanza tags of the keys, ascending, each once.
    pub fn tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self.recipients.iter().map(|r| r.tag()).collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}

impl Readers {
    /// Parses the keys of every active staff member and the recovery keys.
    pub fn new(config: &StoreConfig, seal: &SealConfig, staff: &BTreeMap<Handle, Staff>) -> Readers {
        let policy = &config.policy;
        let mut people = Vec::new();
        let mut keyless = Vec::new();
        for person in staff.values().filter(|s| s.is_active()) {
            let (usable, why) = usable_keys(&person.keys);
            if usable.is_empty() {
                let why = why.unwrap_or_else(|| "no key listed".into());
                keyless.push((person.handle.to_string(), why));
            }
            people.push((person.handle.to_string(), usable));
        }
        let mut recovery = Vec::new();
        let mut bad_recovery = Vec::new();
        for key in &seal.recovery {
            match Recipient::parse(key) {
                Ok(r) => recovery.push(r),
                Err(Unusable(why)) => bad_recovery.push((key.clone(), why)),
            }
        }
        drop_shared_tags(&mut people, &mut recovery, &mut keyless, &mut bad_recovery);
        // `staff` is ordered by handle, and so is `people`.
        let at = |s: &Staff| people.binary_search_by(|(h, _)| h.as_str().cmp(s.handle.as_str())).ok();
        let active = |role| staff.values().filter(move |s| s.is_active() && s.role == role);
        let admins = active(Role::Admin).filter_map(at).collect();
        let managers = active(Role::Manager).filter_map(at).collect();
        let mut managers_by_region: HashMap<String, Vec<usize>> = HashMap::new();
        for m in active(Role::Manager) {
            if let (Some(region), Some(i)) = (&m.region, at(m)) {
                managers_by_region.entry(region.clone()).or_default().push(i);
            }
        }
        let by_region = policy.manager_scope == ManagerScope::Region;
        let (staff, pool) = (staff.clone(), config.pool.clone());
        Readers {
            people,
            by_region,
            managers,
            managers_by_region,
            admins,
            staff,
            pool,
            recovery,
            keyless,
            bad_recovery,
        }
    }

    /// The position in `people` of active staff member `handle`.
    fn person(&self, handle: &str) -> Option<usize> {
        self.people.binary_search_by(|(h, _)| h.as_str().cmp(handle)).ok()
    }

    /// The active people entitled to read `c`, in the order owner,
    /// backup, managers, admins (each once), as positions in `people`.
    fn entitled(&self, c: &Customer) -> Vec<usize> {
        let mut out = Vec::new();
        let mut add = |i| {
            if !out.contains(&i) {
                out.push(i);
            }
        };
        for i in [Some(c.owner.as_str()), c.backup.as_deref()].into_iter().flatten().filter_map(|h| self.person(h)) {
            add(i);
        }
        // A pooled customer is open to everyone who may claim it.
        if c.is_pooled() {
            for i in pool::claimants(c, &self.staff, &self.pool).filter_map(|p| self.person(p.handle.as_str())) {
                add(i);
            }
        }
        // As `authz::in_scope` has it: a manager reaches the customers of
        // their region and those without one (or all, by company scope).
        let managers = match (self.by_region, c.region.as_deref()) {
            (true, Some(region)) => self.managers_by_region.get(region).map_or(&[][..], Vec::as_slice),
            _ => &self.managers[..],
        };
        for &i in managers.iter().chain(&self.admins) {
            add(i);
        }
        out
    }

    /// Who `c` must be sealed to: the entitled people with a usable key,
    /// then the recovery keys.
    pub fn target(&self, c: &Customer) -> Target<'_> {
        let mut to = Vec::new();
        let mut recipients = Vec::new();
        for i in self.entitled(c) {
            let (handle, keys) = &self.people[i];
            if !keys.is_empty() {
                to.push(handle.as_str());
                recipients.extend(keys.iter());
            }
        }
        to.push(RECOVERY);
        recipients.extend(self.recovery.iter());
        Target { to, recipients }
    }

    /// The label (handle or [`RECOVERY`]) whose key has stanza tag `tag`.
    pub fn owner_of_tag(&self, tag: &str) -> Option<&str> {
        if self.recovery.iter().any(|r| r.tag() == tag) {
            return Some(RECOVERY);
        }
        self.people.iter().find(|(_, keys)| keys.iter().any(|r| r.tag() == tag)).map(|(h, _)| h.as_str())
    }
}

/// Keys whose stanza tag another holder's key has too are not used: a tag
/// is all a sealed file says of its readers, so a key made to share a
/// colleague's tag (4 bytes: about 2^32 tries) would pass for theirs — in
/// a rotation that must take its holder off, and as the maker of a ring.
/// Each holder is named, to make a new key.
fn drop_shared_tags(
    keys: &mut [(String, Vec<Recipient>)],
    recovery: &mut Vec<Recipient>,
    keyless: &mut Vec<(String, String)>,
    bad_recovery: &mut Vec<(String, String)>,
) {
    let mut holders: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for (handle, list) in keys.iter() {
        for r in list {
            holders.entry(r.tag().to_string()).or_default().insert(handle);
        }
    }
    for r in recovery.iter() {
        holders.entry(r.tag().to_string()).or_default().insert(RECOVERY);
    }
    let shared: HashMap<String, String> = holders
        .into_iter()
        .filter(|(_, who)| who.len() > 1)
        .map(|(tag, who)| (tag, who.into_iter().collect::<Vec<_>>().join(" and ")))
        .collect();
    if shared.is_empty() {
        return;
    }
    let why = |tag: &str| {
        format!("its key has tag {tag}, as the key of {} does, so sealing cannot tell them apart; one of them needs a new key (ssh-keygen -t ed25519)", shared[tag])
    };
    for (handle, list) in keys.iter_mut() {
        for r in list.iter().filter(|r| shared.contains_key(r.tag())) {
            keyless.push((handle.clone(), why(r.tag())));
        }
        list.retain(|r| !shared.contains_key(r.tag()));
    }
    for r in recovery.iter().filter(|r| shared.contains_key(r.tag())) {
        bad_recovery.push((r.tag().to_string(), why(r.tag())));
    }
    recovery.retain(|r| !shared.contains_key(r.tag()));
}

/// The keys of `keys` that sealing can use, and why none could, if so.
fn usable_keys(keys: &[String]) -> (Vec<Recipient>, Option<String>) {
    let mut usable = Vec::new();
    let mut why = None;
    for key in keys {
        match Recipient::parse(key) {
            Ok(r) => usable.push(r),
            Err(Unusable(w)) => why = Some(w),
        }
    }
    (usable, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::envelope::test_key::PUBLIC;

    #[test]
    fn a_key_tag_two_holders_share_is_used_for_neither() {
        let config: StoreConfig = toml::from_str("[company]\nname = \"X\"\n").unwrap();
        let seal = SealConfig { recovery: vec![PUBLIC.to_string()], fields: Vec::new() };
        let person = |handle: &str, key: &str| {
            let src = format!("name = \"{handle}\"\nemail = \"{handle}@x\"\nrole = \"admin\"\nkeys = [\"{key}\"]\n");
            let mut s: Staff = toml::from_str(&src).unwrap();
            s.handle = Handle::parse(handle).unwrap();
            (s.handle.clone(), s)
        };
        // The same key listed twice stands for any two keys with one tag.
        let staff = BTreeMap::from([person("a", PUBLIC), person("b", PUBLIC)]);
        let readers = Readers::new(&config, &seal, &staff);
        let flagged: Vec<&str> = readers.keyless.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(flagged, ["a", "b"], "{:?}", readers.keyless);
        assert!(readers.keyless[0].1.contains("as the key of @recovery and a and b does"), "{:?}", readers.keyless);
        assert_eq!(readers.bad_recovery.len(), 1, "the recovery key shares their tag");
        let customer = Customer::new(crate::model::CustomerId::parse("x").unwrap(), "X".into(), "a".into());
        assert!(readers.target(&customer).recipients.is_empty(), "no key with a shared tag is used");
    }
}
