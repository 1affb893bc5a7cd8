//! How `verify` judges a change of who holds a customer — owner, backup
//! and the `pool_*` keys — now that customers go to and from the pool:
//! releases (managers of the region, admins, or a service identity for due
//! customers), claims (within the limits, judged by the holdings of the
//! state the commit is judged against), assignments from the pool, locks,
//! and the pool records each leaves, dated by its commit.

use std::collections::HashMap;

use super::change::Denial;
use super::state::State;
use crate::model::authz::{authorize, Action, Denied};
use crate::model::date::Date;
use crate::model::pool::{self, Facts, PoolFields, ReleaseReason, Standing, POOL};
use crate::model::rule_ids::VerifyRule;
use crate::model::{Customer, Role, Staff};
use crate::store::graph::Tree;
use crate::store::holdings::Holdings;
use crate::store::Repo;
use crate::Result;

/// What judging the pool changes of one commit needs: its day, its
/// reference parent's, today (a release or claim dated later is refused),
/// the holdings of the state it is judged against, and the claims the
/// commit itself has made so far.
pub(super) struct PoolJudge<'r> {
    today: Option<Date>,
    base: Option<Tree<'r>>,
    day: Date,
    parent_day: Date,
    /// Holdings of the last tree asked about (carried to the next by a diff).
    holdings: Option<(Option<crate::store::ObjectId>, Holdings)>,
    /// Claims by person in the commit being judged.
    claims: HashMap<String, usize>,
}

impl<'r> PoolJudge<'r> {
    /// A judge for a walk run on `today` (when known).
    pub fn new(today: Option<Date>) -> PoolJudge<'r> {
        let epoch = Date(chrono::NaiveDate::MIN);
        PoolJudge { today, base: None, day: epoch, parent_day: epoch, holdings: None, claims: HashMap::new() }
    }

    /// Starts judging a commit of `day` against the tree `base` of its
    /// reference parent, dated `parent_day`.
    pub fn start(&mut self, base: Tree<'r>, day: Date, parent_day: Date) {
        self.base = Some(base);
        self.day = day;
        self.parent_day = parent_day;
        self.claims.clear();
    }

    /// Today, when the walk knows it.
    pub fn today(&self) -> Option<Date> {
        self.today
    }

    /// Dates the records judged next by another commit's day and its
    /// parent's (a change a merge brings in is dated by the commit that
    /// made it); returns the dates it replaced, to put back.
    pub fn redate(&mut self, day: Date, parent_day: Date) -> (Date, Date) {
        let was = (self.day, self.parent_day);
        (self.day, self.parent_day) = (day, parent_day);
        was
    }

    /// Where `person` stands before their next claim in this commit.
    fn standing(&mut self, repo: &Repo, person: &str, pool: &crate::model::config::PoolPolicy) -> Result<Standing> {
        let Some(base) = &self.base else { return Ok(Standing::default()) };
        let key = base.entry_id(crate::store::layout::CUSTOMERS_DIR);
        let holdings = match self.holdings.take() {
            Some((tree, h)) if tree == key => h,
            known => repo.holdings(base, known.map(|(_, h)| h))?,
        };
        let earlier = self.claims.get(person).copied().unwrap_or(0);
        let day = self.day;
        let claimed = holdings.claims(person).iter().filter(|d| pool::in_claim_period(**d, day, pool)).count();
        let standing = Standing { owned: holdings.owned(person) + earlier, claimed: claimed + earlier };
        self.holdings = Some((key, holdings));
        Ok(standing)
    }

    /// What is wrong with a pool record dated `date` in this commit.
    fn misdated(&self, what: &str, date: Option<Date>) -> Option<String> {
        let Some(date) = date else { return Some(format!("{} without its date", article(what))) };
        if date > self.day {
            return Some(format!("{} dated {date}, after its commit ({})", article(what), self.day));
        }
        if date < self.parent_day.plus_days(-1) {
            return Some(format!("{} dated {date}, before its parent commit ({})", article(what), self.parent_day));
        }
        match self.today {
            Some(today) if self.day > today.plus_days(1) => {
                Some(format!("{} in a commit dated {}, after today ({today})", article(what), self.day))
            }
            _ => None,
        }
    }
}

/// `what` with its indefinite article.
fn article(what: &str) -> String {
    match what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => format!("an {what}"),
        false => format!("a {what}"),
    }
}

/// Everything wrong with `actor` changing who holds `old` into `new` (the
/// owner, backup or pool keys differ), judged under `state`.
pub(super) fn assess(
    repo: &Repo,
    judge: &mut PoolJudge<'_>,
    actor: &Staff,
    state: &State,
    old: &Customer,
    new: &Customer,
) -> Result<Vec<Denial>> {
    let mut out: Vec<Denial> = Vec::new();
    let deny =
        |out: &mut Vec<Denial>, d: Denied| out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
    let allow = |out: &mut Vec<Denial>, action: Action<'_>| {
        if let Err(d) = authorize(actor, &state.config.policy, action) {
            deny(out, d);
        }
    };
    let record = |out: &mut Vec<Denial>, problem: String| out.push((VerifyRule::PoolRecord.id(), problem));
    let pool = &state.config.pool;
    let day = judge.day;
    let due = pool::due(&Facts::of(old, day), pool, day);
    let me = actor.handle.as_str();
    match (old.owner == POOL, new.owner == POOL) {
        (false, true) => {
            // A misspelt exempt tier exempts nothing: crm refuses every
            // release until it is fixed, and a rep's return is judged as
            // if every tier were exempt meanwhile.
            let exempt = pool.exempts(&old.tier) || state.config.unknown_exempt_tiers().next().is_some();
            allow(&mut out, Action::Release { customer: old, due, exempt });
            if let Some(d) = pool::judge_hand_on(actor, old, POOL, pool, day) {
                deny(&mut out, d);
            }
            if let (Some(by), true) = (&old.pool.locked_by, old.pool.locked_on(day)) {
                let d = Denied {
                    rule: VerifyRule::ReleaseNotDue,
                    reason: format!("release {}: it is locked by {by}", old.id),
                };
                deny(&mut out, d);
            }
            // A release drops the backup (files released before it did keep
            // theirs); it sets none, and a rep's return, which is new, keeps
            // none either.
            if new.backup.is_some() && actor.role == Role::Rep {
                record(&mut out, "a return to the pool keeps no backup".into());
            } else if new.backup.is_some() && old.backup != new.backup {
                match actor.role {
                    Role::Service => out.push((
                        VerifyRule::ServiceNotPermitted.id(),
                        format!("{} may not change the backup of {} in a release", actor.handle, old.id),
                    )),
                    _ => record(
                        &mut out,
                        format!("a release that sets a backup ({})", new.backup.as_deref().unwrap_or_default()),
                    ),
                }
            }
            let wanted = match (actor.role, due) {
                (Role::Service, Some(due)) => Some(due.reason()),
                (Role::Rep, _) => Some(ReleaseReason::Returned),
                _ => None,
            };
            for problem in release_record(judge, old, new, wanted) {
                record(&mut out, problem);
            }
        }
        // An admin does not claim: taking one for themselves is an assignment.
        (true, false) if new.owner == me && actor.role != Role::Admin => {
            let standing = judge.standing(repo, me, pool)?;
            for d in pool::judge_claim(actor, old, standing, pool, day) {
                deny(&mut out, d);
            }
            *judge.claims.entry(me.to_string()).or_default() += 1;
            if let Some(problem) = judge.misdated("claim", new.pool.claimed) {
                record(&mut out, problem);
            }
            let kept = PoolFields { claimed: new.pool.claimed, ..PoolFields::default() };
            if new.pool != kept {
                record(&mut out, "a claim keeps no release record or lock; it writes pool_claimed only".into());
            }
        }
        (true, false) => {
            allow(&mut out, Action::ChangeOwnership { customer: old });
            // Assignments before pool_assigned existed wrote no pool keys.
            let kept = PoolFields { assigned: new.pool.assigned, ..PoolFields::default() };
            if new.pool != kept {
                record(&mut out, "an assignment from the pool keeps no pool keys but pool_assigned".into());
            } else if new.pool.assigned.is_some() {
                out.extend(judge.misdated("assignment", new.pool.assigned).map(|p| (VerifyRule::PoolRecord.id(), p)));
            }
        }
        (true, true) if old.pool != new.pool => {
            record(&mut out, "the pool keys of a pooled customer changed without a release or claim".into());
        }
        (true, true) => allow(&mut out, Action::ChangeOwnership { customer: old }),
        (false, false) => out.extend(held_customer(actor, state, old, new, due, day)),
    }
    Ok(out)
}

/// A change of who holds a customer that stays out of the pool: a change
/// of owner or backup, a lock, or (for a service identity) a due key
/// account handed to its region's manager.
fn held_customer(
    actor: &Staff,
    state: &State,
    old: &Customer,
    new: &Customer,
    due: Option<pool::Due>,
    day: Date,
) -> Vec<Denial> {
    let mut out: Vec<Denial> = Vec::new();
    let policy = &state.config.policy;
    let deny = |out: &mut Vec<Denial>, action: Action<'_>| {
        if let Err(d) = authorize(actor, policy, action) {
            out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
        }
    };
    let lock = |p: &PoolFields| (p.locked_by.clone(), p.locked_until);
    let holders_change = old.owner != new.owner || old.backup != new.backup;
    if lock(&old.pool) != lock(&new.pool) {
        out.extend(lock_change(actor, state, old, &new.pool));
    }
    if holders_change {
        let manager = pool::receiver(old.region.as_deref(), &state.staff);
        match actor.role {
            Role::Service if manager.is_none_or(|m| m.handle.as_str() != new.owner) => out.push((
                VerifyRule::ServiceNotPermitted.id(),
                format!("{} may not hand {} to anyone but its region's manager", actor.handle, old.id),
            )),
            Role::Service => deny(&mut out, Action::HandToManager { customer: old, due }),
            _ => deny(&mut out, Action::ChangeOwnership { customer: old }),
        }
    }
    if old.owner != new.owner {
        if let Some(d) = pool::judge_hand_on(actor, old, &new.owner, &state.config.pool, day) {
            out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
        }
    }
    let unlocked = |p: &PoolFields| PoolFields { locked_by: None, locked_until: None, ..p.clone() };
    let (before, after) = (unlocked(&old.pool), unlocked(&new.pool));
    let claimed_here = new.pool.claimed.is_some() && new.owner == actor.handle.as_str() && old.owner != new.owner;
    if claimed_here {
        let d = format!("{} may not claim {}: it is not in the pool (owner {})", actor.handle, old.id, old.owner);
        out.push((VerifyRule::ClaimNotInPool.id(), d));
    } else if old.owner != new.owner && !after.is_empty() {
        out.push((VerifyRule::PoolRecord.id(), "pool keys left behind by a change of owner".into()));
    } else if old.owner == new.owner && before != after {
        out.push((VerifyRule::PoolRecord.id(), "pool keys changed without a release, claim or lock".into()));
    }
    out
}

/// Everything wrong with the pool keys of `new`, a customer file `actor`
/// adds: a customer enters the pool only by a release and leaves it only
/// by a claim or an assignment, so a new file has no pool record; a lock
/// on it is the actor's own, and only a manager or admin sets one.
pub(super) fn added(actor: &Staff, state: &State, new: &Customer) -> Vec<Denial> {
    let mut out: Vec<Denial> = Vec::new();
    let record = PoolFields { locked_by: None, locked_until: None, ..new.pool.clone() };
    if new.owner == POOL || !record.is_empty() {
        let msg = "a new customer has no pool record: it enters the pool by a release, leaves it by a claim";
        out.push((VerifyRule::PoolRecord.id(), msg.into()));
    }
    if new.pool.locked_by.is_some() || new.pool.locked_until.is_some() {
        out.extend(lock_change(actor, state, new, &new.pool));
    }
    out
}

/// What is wrong with `actor` setting, changing or lifting the lock of
/// `customer` so that its pool keys become `after`: only a manager (of its
/// region) or an admin may, and a lock names whoever set it.
fn lock_change(actor: &Staff, state: &State, customer: &Customer, after: &PoolFields) -> Vec<Denial> {
    let mut out: Vec<Denial> = Vec::new();
    if let Err(d) = authorize(actor, &state.config.policy, Action::Lock { customer }) {
        out.push((d.rule.id(), format!("{} may not {}", actor.handle, d.reason)));
    }
    let lifted = after.locked_by.is_none() && after.locked_until.is_none();
    if !lifted && after.locked_by.as_deref() != Some(actor.handle.as_str()) {
        out.push((VerifyRule::PoolRecord.id(), "a lock names someone other than whoever set it".into()));
    }
    out
}

/// What is wrong with the record a release leaves: dated by its commit,
/// from the previous owner, for a known reason (the rule that made it due,
/// when a service released it), and nothing else.
fn release_record(judge: &PoolJudge<'_>, old: &Customer, new: &Customer, wanted: Option<ReleaseReason>) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(judge.misdated("release", new.pool.released));
    if new.pool.from.as_deref() != Some(old.owner.as_str()) {
        out.push(format!(
            "a release from {} that says pool_from = {:?}",
            old.owner,
            new.pool.from.as_deref().unwrap_or("")
        ));
    }
    match new.pool.reason.as_deref().map(|r| (r, ReleaseReason::parse(r))) {
        None => out.push("a release without pool_reason".into()),
        Some((r, None)) => out.push(format!("pool_reason `{r}` is not one of {}", ReleaseReason::known())),
        Some((_, Some(reason))) if wanted.is_some_and(|w| w != reason) => {
            out.push(format!("a release that says pool_reason = `{reason}` for `{}`", wanted.map_or("", |w| w.id())));
        }
        Some(_) => {}
    }
    let p = &new.pool;
    if p.claimed.is_some() || p.assigned.is_some() || p.locked_by.is_some() || p.locked_until.is_some() {
        out.push("a pooled customer keeps no claim, assignment or lock".into());
    }
    out
}
