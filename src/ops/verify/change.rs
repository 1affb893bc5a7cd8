//! Whether one change to one file is allowed to its actor: the same rules
//! `crm` applies before it writes ([`authorize`]), plus what makes the
//! result valid where `check` would judge it (owners and backups who are
//! active staff, touches in the actor's own name, an append-only log).

use super::pool::PoolJudge;
use super::state::{Actor, State};
use crate::model::authz::{authorize, in_scope, Action};
use crate::model::customer::Customer;
use crate::model::pool::POOL;
use crate::model::rule_ids::CheckRule;
use crate::model::rule_ids::VerifyRule;
use crate::model::schema::from_toml;
use crate::model::{CustomerId, Role, Staff, StoreConfig, Touch};
use crate::seal::audit::Auditor;
use crate::seal::envelope::key_tag;
use crate::seal::record;
use crate::seal::ring::{ring_info, ring_of_path, Keyring, RINGS_DIR};
use crate::store::layout::{toml_stem, CONFIG_FILE, STAFF_DIR};
use crate::store::treediff::{Blob, FileChange};
use crate::store::Repo;
use crate::Result;

/// A broken rule: its id and what the actor did.
pub(super) type Denial = (&'static str, String);

/// What `actor` may not do of `change`, judged under `state`; `after` is
/// the state the commit leaves (where new owners must be active staff).
pub(super) fn assess(
    repo: &Repo,
    judge: &mut PoolJudge<'_>,
    actor: &Actor,
    state: &State,
    after: Option<&State>,
    change: &FileChange,
    keyring: &Keyring<'_>,
) -> Result<Vec<Denial>> {
    let mut out = Vec::new();
    let Some(person) = actor.person.as_ref() else {
        out.push((
            VerifyRule::ActorDeparted.id(),
            format!("{} is not in staff/ of the state it is judged against", actor.handle),
        ));
        return Ok(out);
    };
    let policy = &state.config.policy;
    let deny = |out: &mut Vec<Denial>, action: Action<'_>| {
        if let Err(d) = authorize(person, policy, action) {
            out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
        }
    };
    let path = change.path.as_str();
    if path.starts_with(&format!("{RINGS_DIR}/")) {
        return ring_change(repo, person, change);
    }
    if path == CONFIG_FILE || path.starts_with(&format!("{STAFF_DIR}/")) {
        deny(&mut out, Action::ChangeSettings);
        if path == CONFIG_FILE {
            out.extend(unreadable_config(repo, change.new)?);
        }
        return Ok(out);
    }
    if policy.is_protected_path(path) || !super::state::is_store_path(path) {
        deny(&mut out, Action::ChangeProtected);
        return Ok(out);
    }
    let (old, new) = (read(repo, path, change.old)?, read(repo, path, change.new)?);
    if let Some(Ok(c)) = &new {
        out.extend(seal_findings(after, c, keyring));
    }
    match (old, new) {
        (None, None) => {}
        (Some(_), None) => deny(&mut out, Action::RemoveCustomer),
        (_, Some(Err(why))) | (Some(Err(why)), _) => {
            let msg = format!("cannot be parsed ({why}), so the change cannot be judged");
            out.push((VerifyRule::UnreadableRecord.id(), msg));
        }
        (None, Some(Ok(new))) => {
            deny(&mut out, Action::AddCustomer { customer: &new });
            out.extend(super::pool::added(person, state, &new));
            out.extend(touches_ahead(&new.touches, judge.today()));
            for by in foreign_touches(person, &[], &new) {
                deny(&mut out, Action::LogTouchFor { by, imported: true });
            }
            out.extend(assignees(after, None, &new));
        }
        (Some(Ok(old)), Some(Ok(new))) => {
            let ownership = old.owner != new.owner || old.backup != new.backup || old.pool != new.pool;
            if ownership {
                out.extend(super::pool::assess(repo, judge, person, state, &old, &new)?);
            }
            let mut same_owner = new.clone();
            same_owner.owner.clone_from(&old.owner);
            same_owner.backup.clone_from(&old.backup);
            same_owner.pool.clone_from(&old.pool);
            if !ownership || !same_but_sealing(&same_owner, &old, keyring) {
                deny(&mut out, Action::EditCustomer { customer: &old });
            }
            if let Some(d) = crate::model::pool::judge_pool_fields(person, &state.config.pool, &old, &new) {
                out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
            }
            if old.region != new.region && person.role == Role::Manager {
                if let Err(d) = in_scope(person, policy, &new) {
                    out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
                }
            }
            // A rotation seals every summary again: then only what is in the
            // clear of past touches can be compared.
            let rotated = record::loses_recipients(&old, &new);
            let same = |a: &Touch, b: &Touch| {
                (a.date, &a.by, &a.kind) == (b.date, &b.by, &b.kind) && (rotated || a.summary == b.summary)
            };
            let kept =
                new.touches.len() >= old.touches.len() && old.touches.iter().zip(&new.touches).all(|(a, b)| same(a, b));
            if kept && rotated && can_open(keyring) {
                out.extend(summaries_rewritten(&old, &new, keyring));
            }
            if rotated && record::same_data_key(&old, &new, keyring) {
                let msg = "takes someone off the recipients but keeps the data key they held".to_string();
                out.push((VerifyRule::SealNotRotated.id(), msg));
            }
            if !kept && person.role != Role::Admin {
                let msg =
                    format!("{} changed or removed past touches; the interaction log is append-only", actor.handle);
                out.push((VerifyRule::TouchHistoryRewritten.id(), msg));
            }
            if kept {
                for by in foreign_touches(person, &old.touches, &new) {
                    deny(&mut out, Action::LogTouchFor { by, imported: false });
                }
                out.extend(touches_ahead(&new.touches[old.touches.len()..], judge.today()));
            }
            if ownership {
                out.extend(assignees(after, Some(&old), &new));
            }
            if let Some(seal) = state.config.seal.as_ref().filter(|_| rotated) {
                let kept = record::kept_ciphertexts(&old, &new, seal);
                if !kept.is_empty() {
                    let msg = format!(
                        "takes someone off the recipients but keeps {} as it was, still open to them with the old data key",
                        kept.join(", ")
                    );
                    out.push((VerifyRule::SealNotRotated.id(), msg));
                }
            }
        }
    }
    Ok(out)
}

/// Whether `a` and `b` hold the same, where a change of owner may have
/// sealed them again: when the seal changed, sealed values are compared
/// opened (with `identities`) or, without a key, left out — a key's holder
/// (`verify --identity`) sees an edit hidden in a re-sealing.
fn same_but_sealing(a: &Customer, b: &Customer, keyring: &Keyring<'_>) -> bool {
    if a.seal == b.seal {
        return a == b;
    }
    let every = crate::model::config::SealConfig::every_field();
    let (mut a, mut b) = (a.clone(), b.clone());
    for c in [&mut a, &mut b] {
        if record::open(c, &every, keyring) != record::Openness::Opened {
            record::blank(c);
        }
        c.seal = None;
    }
    a == b
}

/// What is wrong with the sealing of `new` under the state the commit
/// leaves (the rules `crm check` applies).
fn seal_findings(after: Option<&State>, new: &Customer, keyring: &Keyring<'_>) -> Vec<Denial> {
    let Some((seal, readers)) = after.and_then(|s| s.config.seal.as_ref().zip(s.readers.as_ref())) else {
        return Vec::new();
    };
    let open = can_open(keyring);
    let findings = Auditor::new(seal, readers, keyring, open).audit(new);
    findings.into_iter().map(|f| (f.rule.id(), f.message)).collect()
}

/// Whether verify was given a key to open sealed values with.
fn can_open(keyring: &Keyring<'_>) -> bool {
    keyring.keys().identities().is_ok_and(|list| !list.is_empty())
}

/// What is wrong with a change to a ring file: a ring never changes or
/// goes (the customers sealed under it would no longer open, or open to
/// others), and its `made-by` must name its committer's own key. Later
/// writes reuse only a ring made by one of its readers, so nobody can
/// plant a ring for readers they are not among that others would then seal
/// to; a ring made by someone handing customers away is theirs alone.
fn ring_change(repo: &Repo, person: &Staff, change: &FileChange) -> Result<Vec<Denial>> {
    let path = change.path.as_str();
    if change.old.is_some() {
        let msg = "changes or removes a ring file; rings never change, the customers sealed under it rely on it";
        return Ok(vec![(VerifyRule::RingChanged.id(), msg.into())]);
    }
    let Some(blob) = change.new else { return Ok(Vec::new()) };
    let bytes = repo.blob_content(blob.id)?;
    let Some(info) = ring_of_path(path).and_then(|id| ring_info(id, &bytes)) else {
        let msg = "is not a ring: its content must hash to its name and be `made-by TAG` and the base64 of an age file";
        return Ok(vec![(CheckRule::SealMalformed.id(), msg.into())]);
    };
    let Some(maker) = info.maker else { return Ok(Vec::new()) };
    if person.keys.iter().filter_map(|k| key_tag(k)).any(|t| t == maker) {
        return Ok(Vec::new());
    }
    let msg = format!("{} adds a ring that says it was made by another key (tag {maker})", person.handle);
    Ok(vec![(VerifyRule::RingStranger.id(), msg)])
}

/// Across a rotation the summaries of past touches are sealed again: with
/// a key that opens both versions, their text must be the same.
fn summaries_rewritten(old: &Customer, new: &Customer, keyring: &Keyring<'_>) -> Vec<Denial> {
    let (Some(seal_old), Some(seal_new)) = (&old.seal, &new.seal) else { return Vec::new() };
    let every = crate::model::config::SealConfig::every_field();
    let (mut before, mut after) = (old.clone(), new.clone());
    let opened = |c: &mut Customer| record::open(c, &every, keyring) == record::Openness::Opened;
    if seal_old.key == seal_new.key || !opened(&mut before) || !opened(&mut after) {
        return Vec::new();
    }
    let changed = before.touches.iter().zip(&after.touches).position(|(a, b)| a.summary != b.summary);
    changed
        .map(|i| {
            let msg = format!("the summary of touch {} changed when it was sealed again", i + 1);
            (VerifyRule::TouchHistoryRewritten.id(), msg)
        })
        .into_iter()
        .collect()
}

/// The authors of the touches `new` has past `before` that are not
/// `person`.
fn foreign_touches<'a>(person: &'a Staff, before: &[Touch], new: &'a Customer) -> impl Iterator<Item = &'a str> {
    new.touches.iter().skip(before.len()).map(|t| t.by.as_str()).filter(|by| *by != person.handle.as_str())
}

/// The owner and backup `new` names (where they changed from `old`) must
/// be active staff in the state the commit leaves.
fn assignees(after: Option<&State>, old: Option<&Customer>, new: &Customer) -> Vec<Denial> {
    let Some(after) = after else { return Vec::new() };
    let mut out = Vec::new();
    let roles = [
        ("owner", Some(&new.owner), old.map(|o| Some(&o.owner))),
        ("backup", new.backup.as_ref(), old.map(|o| o.backup.as_ref())),
    ];
    for (role, handle, before) in roles {
        let Some(handle) = handle else { continue };
        if before == Some(Some(handle)) {
            continue;
        }
        if role == "owner" && handle == POOL {
            continue;
        }
        match after.staff.values().find(|s| s.handle.as_str() == handle) {
            Some(s) if !s.is_person() => out.push((
                VerifyRule::AssignToService.id(),
                format!("names {role} `{handle}`, a service identity (they hold no customers)"),
            )),
            None => {
                out.push((VerifyRule::UnknownPerson.id(), format!("names {role} `{handle}`, who is not in staff/")))
            }
            Some(s) if !s.is_active() => {
                out.push((VerifyRule::AssignToDeparted.id(), format!("names {role} `{handle}`, who has departed")));
            }
            Some(_) => {}
        }
    }
    out
}

/// The touches of `touches` dated after `today` (with a day's slack for
/// time zones): a touch is something that happened, and the pool's rules
/// count from the last one.
fn touches_ahead(touches: &[Touch], today: Option<crate::model::date::Date>) -> Vec<Denial> {
    let Some(today) = today else { return Vec::new() };
    let late = touches.iter().filter(|t| t.date > today.plus_days(1));
    late.map(|t| (VerifyRule::DatedAhead.id(), format!("logs a touch dated {}, after today ({today})", t.date)))
        .collect()
}

/// A `crm.toml` written that cannot be read, or removed: every crm command
/// would refuse to run on it, for everyone, until an admin fixes it.
fn unreadable_config(repo: &Repo, blob: Option<Blob>) -> Result<Option<Denial>> {
    let Some(b) = blob else {
        let msg = "crm.toml removed: the tree would hold no store, and every crm command would refuse to run";
        return Ok(Some((VerifyRule::UnreadableRecord.id(), msg.to_string())));
    };
    let why = match text_of(repo, b)? {
        Err(why) => why,
        Ok(text) => match from_toml::<StoreConfig>(CONFIG_FILE, &text) {
            Ok(_) => return Ok(None),
            Err(e) => e.to_string(),
        },
    };
    let msg = format!("crm.toml cannot be read ({why}): every crm command would refuse to run on it");
    Ok(Some((VerifyRule::UnreadableRecord.id(), msg)))
}

/// The customer file `path` holds in `blob` (none: absent), or why it
/// cannot be read.
fn read(repo: &Repo, path: &str, blob: Option<Blob>) -> Result<Option<std::result::Result<Customer, String>>> {
    let Some(b) = blob else { return Ok(None) };
    let stem = path.rsplit('/').next().and_then(toml_stem).unwrap_or_default();
    let parsed = text_of(repo, b)?.and_then(|text| {
        CustomerId::parse(stem).and_then(|id| Customer::parse(&id, path, &text)).map_err(|e| e.to_string())
    });
    Ok(Some(parsed))
}

/// The text of `blob`, or why it has none.
fn text_of(repo: &Repo, blob: Blob) -> Result<std::result::Result<String, String>> {
    Ok(String::from_utf8(repo.blob_content(blob.id)?).map_err(|_| "it is not UTF-8".to_string()))
}
