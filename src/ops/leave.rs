//! `crm staff leave` and `crm staff rehire`: a departure marks the person
//! departed and, when a successor is named (`--to`) or the work is spread
//! across the region (`--spread`), hands over every customer they own and
//! every backup duty they hold, in the same single commit. Without a
//! successor their customers become pending handovers with a deadline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::reassign::{self, Move};
use super::{Message, Readable, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::document::Document;
use crate::model::{Customer, Handle, Role, Staff, StaffStatus};
use crate::store::layout;
use crate::store::write::Change;
use crate::store::{Snapshot, Store};
use crate::{Error, Result};

/// Who takes over a leaver's customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// Nobody yet: the customers become pending handovers.
    Later,
    /// One successor.
    To(String),
    /// Balanced by value across the active staff of the leaver's region.
    Spread,
}

/// A departure.
#[derive(Debug, Clone)]
pub struct LeaveRequest {
    /// Who leaves.
    pub handle: Handle,
    /// Last day (default: today).
    pub on: Option<Date>,
    /// Who takes over.
    pub handover: Handover,
    /// Whether they may be rehired.
    pub rehire: bool,
    /// Why; recorded in the commit.
    pub reason: Option<String>,
}

/// What a departure does (or, dry, would do).
#[derive(Debug, Clone, Serialize)]
pub struct LeavePlan {
    /// Who leaves.
    pub person: String,
    /// Their last day.
    pub left: Date,
    /// Whether they may be rehired.
    pub rehire: bool,
    /// When their remaining customers must be handed over.
    pub deadline: Date,
    /// Ownership moves, then backup replacements (where `from` = `to`).
    pub moves: Vec<Move>,
    /// Customers left with the leaver, pending handover.
    pub pending: Vec<String>,
    /// The commit; `None` for a dry run.
    pub commit: Option<String>,
}

/// Plans a departure against `snapshot`.
pub fn plan(
    snapshot: &Snapshot<'_>,
    staff: &BTreeMap<Handle, Staff>,
    req: &LeaveRequest,
    today: Date,
) -> Result<LeavePlan> {
    let leaver = staff.get(&req.handle).ok_or_else(|| Error::UnknownStaff(req.handle.to_string()))?;
    if !leaver.is_active() {
        let when = leaver.left.map_or(String::new(), |d| format!(" on {d}"));
        return Err(Error::invalid("staff member", req.handle.as_str(), format!("already left{when}")));
    }
    let admins = staff.values().filter(|s| s.is_active() && s.role == Role::Admin).count();
    if leaver.role == Role::Admin && admins == 1 {
        return Err(Error::invalid(
            "staff member",
            req.handle.as_str(),
            "is the last active admin; without one nobody could change staff/ or crm.toml, so make someone else admin first",
        ));
    }
    let left = req.on.unwrap_or(today);
    let handover_days = snapshot.config()?.policy.handover_days;
    let me = req.handle.as_str();
    let Readable { value: customers, skipped } = snapshot.readable_customers()?;
    super::refuse_unreadable(skipped, "a departure", me)?;
    let owned: Vec<&Customer> = customers.iter().filter(|c| c.owner == me).collect();
    let backed: Vec<&Customer> =
        customers.iter().filter(|c| c.backup.as_deref() == Some(me) && c.owner != me).collect();
    let owners = match &req.handover {
        Handover::Later => Vec::new(),
        Handover::To(to) => {
            if to == me {
                return Err(Error::invalid("--to", to, "the leaver cannot take over their own customers"));
            }
            vec![super::active_person(staff, to)?.handle.to_string()]
        }
        Handover::Spread => successors(staff, leaver)?,
    };
    let mut moves = Vec::new();
    let mut pending = Vec::new();
    if owners.is_empty() {
        pending = owned.iter().map(|c| c.id.to_string()).collect();
    } else {
        let mut backups = BackupPicker::new(staff, leaver);
        moves.extend(spread_ownership(&owned, &owners, me, &mut backups));
        moves.extend(backed.iter().map(|c| Move {
            customer: c.id.to_string(),
            name: c.name.clone(),
            from: c.owner.clone(),
            to: c.owner.clone(),
            backup_before: c.backup.clone(),
            backup_after: backups.pick(&c.owner),
            value: c.value,
        }));
    }
    Ok(LeavePlan {
        person: me.to_string(),
        left,
        rehire: req.rehire,
        deadline: left.plus_days(i64::from(handover_days)),
        moves,
        pending,
        commit: None,
    })
}

/// Active staff who can take over from `leaver`: reps and managers of the
/// same region, else every active rep.
fn successors(staff: &BTreeMap<Handle, Staff>, leaver: &Staff) -> Result<Vec<String>> {
    let active = || staff.values().filter(|s| s.is_active() && s.handle != leaver.handle);
    let mut out: Vec<String> = active()
        .filter(|s| matches!(s.role, Role::Rep | Role::Manager) && leaver.region.is_some() && s.region == leaver.region)
        .map(|s| s.handle.to_string())
        .collect();
    if out.is_empty() {
        out = active().filter(|s| s.role == Role::Rep).map(|s| s.handle.to_string()).collect();
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "--spread",
            leaver.handle.as_str(),
            "nobody is left to take over: no active rep in the company",
        ));
    }
    Ok(out)
}

/// Hands each customer to the candidate with the least value handed over
/// so far (then the fewest customers, then by handle), biggest customers
/// first, never to the customer's own backup when another candidate exists.
/// Where the backup would be the new owner or the leaver, a new one is
/// picked.
fn spread_ownership(owned: &[&Customer], candidates: &[String], leaver: &str, backups: &mut BackupPicker) -> Vec<Move> {
    let mut load: BTreeMap<&str, (u64, usize)> = candidates.iter().map(|c| (c.as_str(), (0, 0))).collect();
    let mut order: Vec<&&Customer> = owned.iter().collect();
    order.sort_by(|a, b| b.value.unwrap_or(0).cmp(&a.value.unwrap_or(0)).then(a.id.cmp(&b.id)));
    let mut moves = Vec::new();
    for c in order {
        let pick = |allow_backup: bool| {
            load.iter()
                .filter(|(h, _)| allow_backup || c.backup.as_deref() != Some(**h))
                .min_by_key(|(h, (value, count))| (*value, *count, **h))
                .map(|(h, _)| h.to_string())
        };
        let Some(to) = pick(false).or_else(|| pick(true)) else { continue };
        if let Some((value, count)) = load.get_mut(to.as_str()) {
            *value += c.value.unwrap_or(0);
            *count += 1;
        }
        let backup_after = match c.backup.as_deref() {
            Some(b) if b == to || b == leaver => backups.pick(&to),
            other => other.map(str::to_string),
        };
        moves.push(Move {
            customer: c.id.to_string(),
            name: c.name.clone(),
            from: c.owner.clone(),
            to,
            backup_before: c.backup.clone(),
            backup_after,
            value: c.value,
        });
    }
    moves
}

/// Chooses new backups: the leaver's region colleagues first, then every
/// other active rep and manager; among equals, whoever has been given the
/// fewest backup duties so far.
struct BackupPicker {
    /// handle → (0 for the region, 1 for others; duties given).
    pool: BTreeMap<String, (u8, usize)>,
}

impl BackupPicker {
    fn new(staff: &BTreeMap<Handle, Staff>, leaver: &Staff) -> Self {
        let region: Vec<String> = successors(staff, leaver).unwrap_or_default();
        let others = staff
            .values()
            .filter(|s| s.is_active() && s.handle != leaver.handle && matches!(s.role, Role::Rep | Role::Manager));
        let mut pool: BTreeMap<String, (u8, usize)> = others.map(|s| (s.handle.to_string(), (1, 0))).collect();
        pool.extend(region.into_iter().map(|h| (h, (0, 0))));
        BackupPicker { pool }
    }

    /// A backup for a customer owned by `owner`, if anyone is left.
    fn pick(&mut self, owner: &str) -> Option<String> {
        let (handle, (_, n)) = self
            .pool
            .iter_mut()
            .filter(|(h, _)| *h != owner)
            .min_by_key(|(h, (tier, n))| (*tier, *n, h.to_string()))?;
        *n += 1;
        Some(handle.clone())
    }
}

/// Plans a departure against the current state, writing nothing.
pub fn dry_run(store: &Store, req: &LeaveRequest, today: Date) -> Result<LeavePlan> {
    let head = store.head()?;
    plan(&head, &head.staff()?, req, today)
}

/// Carries out a departure in one commit (admins only).
pub fn run(store: &Store, req: &LeaveRequest, today: Date, opts: &WriteOptions) -> Result<LeavePlan> {
    let w = Writer::start(store, opts)?;
    w.authorize(Action::ChangeSettings)?;
    let mut plan = plan(w.snapshot(), &w.staff, req, today)?;
    let path = layout::staff_path(&req.handle);
    let mut doc = Document::parse(&path, &w.snapshot().text(&path)?.unwrap_or_default())?;
    doc.set("status", StaffStatus::Departed.to_string());
    doc.set("left", plan.left.to_toml());
    doc.set("rehire", plan.rehire);
    let mut changes = vec![Change::write(path, doc.to_string())];
    changes.extend(reassign::apply(&w, &plan.moves, reassign::Sources::new(), today)?);
    let handed = plan.moves.iter().filter(|m| m.from != m.to).count();
    let subject = match &req.handover {
        Handover::Later => format!("staff leave {}: {} customers pending handover", plan.person, plan.pending.len()),
        Handover::To(to) => format!("staff leave {}: {handed} customers to {to}", plan.person),
        Handover::Spread => format!("staff leave {}: {handed} customers spread", plan.person),
    };
    let message = Message { subject, action: "staff-leave", reason: req.reason.as_deref() };
    plan.commit = Some(w.commit(&message, changes)?.to_string());
    Ok(plan)
}

/// What `rehire` did.
#[derive(Debug, Clone, Serialize)]
pub struct Rehired {
    /// Who is back.
    pub person: String,
    /// The commit.
    pub commit: String,
}

/// Makes a departed person active again, unless they were marked not to be
/// rehired (admins only).
pub fn rehire(store: &Store, handle: &Handle, opts: &WriteOptions) -> Result<Rehired> {
    let w = Writer::start(store, opts)?;
    w.authorize(Action::ChangeSettings)?;
    let person = w.staff.get(handle).ok_or_else(|| Error::UnknownStaff(handle.to_string()))?;
    if person.is_active() {
        return Err(Error::NothingToDo(format!("{handle} is active")));
    }
    if person.rehire == Some(false) {
        let left = person.left.map_or(String::new(), |d| format!(" when they left on {d}"));
        return Err(Error::Forbidden {
            actor: w.actor.handle.to_string(),
            action: format!("rehire {handle}: they were marked not eligible for rehire (rehire = false){left}"),
        });
    }
    let path = layout::staff_path(handle);
    let mut doc = Document::parse(&path, &w.snapshot().text(&path)?.unwrap_or_default())?;
    doc.set("status", StaffStatus::Active.to_string());
    doc.remove("left");
    doc.remove("rehire");
    let message = Message { subject: format!("staff rehire {handle}"), action: "staff-rehire", reason: None };
    let commit = w.commit(&message, vec![Change::write(path, doc.to_string())])?;
    Ok(Rehired { person: handle.to_string(), commit: commit.to_string() })
}
