//! `crm report digest`: each person's own list to mail them — next steps
//! overdue and due, handovers to acknowledge, stale accounts — exactly as
//! `crm agenda` defines and orders them (one definition, in
//! [`crate::ops::agenda`]). For one person it is their agenda; for
//! everyone at once the store is read in one pass (every customer once, the
//! handover window's history once) and shared out by owner, so 300 people
//! cost about one report, not 300 agendas.

use crate::ops::unseal::Opener;
use std::collections::BTreeMap;

use serde::Serialize;

use super::handover::{recent_handovers, slim, unacknowledged};
use crate::model::date::Date;
use crate::model::{Customer, Handle, Staff};
use crate::ops::agenda::{self, Agenda, AgendaRequest, Context, Whose};
use crate::ops::report::handover::handover_window;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Whose lists.
#[derive(Debug, Clone)]
pub enum Who {
    /// One person (a staff handle), whatever their list holds.
    One(String),
    /// Every active person with something on their list.
    Each,
}

/// What to build.
#[derive(Debug, Clone)]
pub struct DigestRequest {
    /// Whose lists.
    pub who: Who,
    /// Next steps dated on or before this day are due.
    pub until: Date,
}

/// One person's list, with where to mail it.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalDigest {
    /// Their agenda.
    #[serde(flatten)]
    pub agenda: Agenda,
    /// Their e-mail (from their staff file).
    pub email: String,
    /// Their staff record, for addressing mail.
    #[serde(skip)]
    pub staff: Staff,
}

/// The lists `req` asks for on `today`, by handle, and the files that could
/// not be read.
pub fn run(store: &Store, req: &DigestRequest, today: Date) -> Result<Readable<Vec<PersonalDigest>>> {
    let head = store.head()?;
    match &req.who {
        Who::One(handle) => {
            let person = head.person(&Handle::parse(handle)?)?;
            let ask = AgendaRequest { person: handle.clone(), until: req.until, handovers: true };
            let Readable { value: agenda, skipped } = agenda::run(store, &ask, today)?;
            Ok(Readable { value: vec![PersonalDigest { agenda, email: person.email.clone(), staff: person }], skipped })
        }
        Who::Each => {
            let config = head.config()?;
            let Readable { value: staff, mut skipped } = head.readable_staff()?;
            let customers = head.map_readable_customers(|c| slim(c, true))?;
            skipped.extend(customers.skipped);
            let events = store.recent_events(handover_window(&config.policy, today))?;
            let moves = recent_handovers(&events, &config.policy, today);
            let mut handovers: BTreeMap<String, _> =
                unacknowledged(&customers.value, &moves, today).into_iter().map(|u| (u.customer.clone(), u)).collect();
            let mut by_owner: BTreeMap<String, Vec<Customer>> = BTreeMap::new();
            for c in customers.value {
                by_owner.entry(c.owner.clone()).or_default().push(c);
            }
            let revised = store.head_time()?;
            let opener = Opener::new(store, &config)?;
            let mut out = Vec::new();
            let cx = Context { config: &config, staff: &staff };
            for person in staff.values().filter(|s| s.is_active()) {
                let owned = by_owner.remove(person.handle.as_str()).unwrap_or_default();
                let theirs: BTreeMap<String, _> =
                    owned.iter().filter_map(|c| handovers.remove_entry(c.id.as_str())).collect();
                let whose = Whose { person: person.handle.to_string(), name: person.name.clone(), revised };
                let mut agenda = agenda::build(whose, &owned, &theirs, &cx, req.until, today);
                agenda::open_next_steps(&mut agenda, &owned, &opener);
                if !agenda.items.is_empty() {
                    out.push(PersonalDigest { agenda, email: person.email.clone(), staff: person.clone() });
                }
            }
            Ok(Readable { value: out, skipped })
        }
    }
}
