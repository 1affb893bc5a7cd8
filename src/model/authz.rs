//! The SPEC's authorisation rules as pure functions: who may do what to the
//! store. `ops` use them to refuse early, `verify` to judge history.

use super::config::{ManagerScope, Policy};
use super::customer::Customer;
use super::pool::Due;
use super::rule_ids::VerifyRule;
use super::staff::{Role, Staff};

/// Something a person does to the store.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create `customer`.
    AddCustomer {
        /// The new customer.
        customer: &'a Customer,
    },
    /// Change the owner or backup of `customer` (as it was before).
    ChangeOwnership {
        /// The customer before the change.
        customer: &'a Customer,
    },
    /// Change other fields of `customer` or log a touch.
    EditCustomer {
        /// The customer before the change.
        customer: &'a Customer,
    },
    /// Delete a customer file.
    RemoveCustomer,
    /// Log a touch in someone else's name (`by` is not the actor).
    LogTouchFor {
        /// Whose touch it claims to be.
        by: &'a str,
        /// Whether it arrives with a new customer record (an import).
        imported: bool,
    },
    /// Change `crm.toml` or anything under `staff/`.
    ChangeSettings,
    /// Change a file of `[policy] protected_paths` (CI, `.gitattributes`…).
    ChangeProtected,
    /// Release `customer` (as it was before) to the pool.
    Release {
        /// The customer before the release.
        customer: &'a Customer,
        /// What the pool's rules say of it on the day (`None`: not due).
        due: Option<Due>,
        /// Whether its tier is one of `[pool] exempt_tiers` (which go to
        /// the region's manager, not to the pool).
        exempt: bool,
    },
    /// Hand a customer of an exempt tier that is due to its region's
    /// manager (what a due release does with key accounts).
    HandToManager {
        /// The customer before.
        customer: &'a Customer,
        /// What the pool's rules say of it on the day.
        due: Option<Due>,
    },
    /// Set, change or lift the pool lock of `customer`.
    Lock {
        /// The customer before the change.
        customer: &'a Customer,
    },
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The `crm verify` rule it breaks.
    pub rule: VerifyRule,
    /// What the actor may not do, as a phrase after "X may not".
    pub reason: String,
}

/// Decides whether `actor` may do `action` under `policy`.
pub fn authorize(actor: &Staff, policy: &Policy, action: Action<'_>) -> Result<(), Denied> {
    let deny = |rule, reason: String| Err(Denied { rule, reason });
    if !actor.is_active() {
        return deny(VerifyRule::ActorDeparted, "act: they have departed".into());
    }
    if actor.role == Role::Service {
        return service(action);
    }
    let me = actor.handle.as_str();
    let privileged = policy.may_reassign(actor.role);
    match action {
        Action::AddCustomer { customer } => {
            if customer.owner == me {
                Ok(())
            } else if matches!(actor.role, Role::Manager | Role::Admin) {
                in_scope(actor, policy, customer)
            } else {
                let owner = &customer.owner;
                deny(VerifyRule::AddForOther, format!("add a customer owned by {owner} (only managers and admins may)"))
            }
        }
        Action::ChangeOwnership { customer } => {
            if customer.owner == me {
                Ok(())
            } else if privileged {
                in_scope(actor, policy, customer)
            } else {
                deny(
                    VerifyRule::ReassignUnauthorized,
                    format!("change the owner or backup of {}, owned by {}", customer.id, customer.owner),
                )
            }
        }
        Action::EditCustomer { customer } => {
            // A pooled customer's backup backs nobody up: their rights end
            // with the release (or they could move it into their region).
            let backup = customer.backup.as_deref() == Some(me) && !customer.is_pooled();
            if customer.owner == me || backup {
                Ok(())
            } else if privileged {
                in_scope(actor, policy, customer)
            } else {
                let whose = match customer.is_pooled() {
                    true => {
                        "which is in the pool (a backup's rights end with its release; claim it to work on it)".into()
                    }
                    false => format!("owned by {}", customer.owner),
                };
                deny(VerifyRule::EditUnauthorized, format!("edit {}, {whose}", customer.id))
            }
        }
        Action::LogTouchFor { .. } if actor.role == Role::Admin => Ok(()),
        Action::LogTouchFor { imported: true, .. } if actor.role == Role::Manager => Ok(()),
        Action::LogTouchFor { by, .. } => deny(
            VerifyRule::TouchForged,
            format!("log a touch in the name of {by} (a touch's `by` is whoever logs it)"),
        ),
        Action::RemoveCustomer if actor.role == Role::Admin => Ok(()),
        Action::RemoveCustomer => deny(VerifyRule::RemoveUnauthorized, "delete customers (admins only)".into()),
        Action::ChangeSettings if actor.role == Role::Admin => Ok(()),
        Action::ChangeSettings => {
            deny(VerifyRule::SettingsUnauthorized, "change crm.toml or staff/ (admins only)".into())
        }
        Action::ChangeProtected if actor.role == Role::Admin => Ok(()),
        Action::ChangeProtected => deny(
            VerifyRule::ProtectedPath,
            "change a protected path (CI, .gitattributes, .gitmodules: admins only)".into(),
        ),
        Action::Release { customer, .. } if matches!(actor.role, Role::Manager | Role::Admin) => {
            in_scope(actor, policy, customer)
        }
        // A rep gives up a customer of their own (退回公海), but not an
        // account of an exempt tier: those go to the region's manager.
        Action::Release { customer, exempt: false, .. } if customer.owner == me => Ok(()),
        Action::Release { customer, exempt: true, .. } if customer.owner == me => deny(
            VerifyRule::ReleaseUnauthorized,
            format!(
                "release {} to the pool: a {} account goes to the region's manager, not the pool (ask them to take it)",
                customer.id, customer.tier
            ),
        ),
        Action::Release { customer, .. } => deny(
            VerifyRule::ReleaseUnauthorized,
            format!("release {} to the pool (its owner, managers, admins and the service identity may)", customer.id),
        ),
        Action::HandToManager { customer, .. } => authorize(actor, policy, Action::ChangeOwnership { customer }),
        Action::Lock { customer } if matches!(actor.role, Role::Manager | Role::Admin) => {
            in_scope(actor, policy, customer)
        }
        Action::Lock { customer } => {
            deny(VerifyRule::LockUnauthorized, format!("lock or unlock {} (managers and admins may)", customer.id))
        }
    }
}

/// What a service identity may do: release customers the pool's rules
/// make due (and hand due key accounts to their region's manager), nothing
/// else.
fn service(action: Action<'_>) -> Result<(), Denied> {
    match action {
        Action::Release { due: Some(Due::Release(_)), .. } => Ok(()),
        Action::HandToManager { due: Some(Due::ToManager(_)), .. } => Ok(()),
        Action::Release { customer, .. } | Action::HandToManager { customer, .. } => Err(Denied {
            rule: VerifyRule::ReleaseNotDue,
            reason: format!(
                "release {}: the pool's rules do not make it due (a service releases due customers only)",
                customer.id
            ),
        }),
        _ => Err(Denied {
            rule: VerifyRule::ServiceNotPermitted,
            reason: "do anything but release due customers to the pool (a service identity)".into(),
        }),
    }
}

/// Whether `customer` is within the reach of `actor`'s role: admins reach
/// every customer; with `manager_scope = "region"` a manager reaches the
/// customers of their own region and those without a region.
pub fn in_scope(actor: &Staff, policy: &Policy, customer: &Customer) -> Result<(), Denied> {
    if actor.role == Role::Admin || policy.manager_scope == ManagerScope::Company {
        return Ok(());
    }
    match customer.region.as_deref() {
        None => Ok(()),
        Some(region) if actor.region.as_deref() == Some(region) => Ok(()),
        Some(region) => Err(Denied {
            rule: VerifyRule::OutOfRegion,
            reason: format!(
                "act on {}, a customer of region {region} ({} manages {}; manager_scope = \"region\")",
                customer.id,
                actor.handle,
                actor.region.as_deref().unwrap_or("no region")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomerId, Handle, StaffStatus};

    fn person(handle: &str, role: Role) -> Staff {
        Staff {
            handle: Handle::parse(handle).unwrap(),
            name: handle.into(),
            email: format!("{handle}@x"),
            role,
            region: None,
            status: StaffStatus::Active,
            joined: None,
            left: None,
            rehire: None,
            keys: vec![],
        }
    }

    fn customer(owner: &str, backup: Option<&str>) -> Customer {
        let src = format!("name = \"C\"\nowner = \"{owner}\"\n");
        let mut c = Customer::parse(&CustomerId::parse("c").unwrap(), "c", &src).unwrap();
        c.backup = backup.map(str::to_string);
        c
    }

    #[test]
    fn reps_act_on_their_own_customers_only() {
        let p = Policy::default();
        let rep = person("rep", Role::Rep);
        assert!(authorize(&rep, &p, Action::AddCustomer { customer: &customer("rep", None) }).is_ok());
        assert!(authorize(&rep, &p, Action::AddCustomer { customer: &customer("other", None) }).is_err());
        assert_eq!(
            authorize(&rep, &p, Action::LogTouchFor { by: "other", imported: false }).unwrap_err().rule,
            VerifyRule::TouchForged
        );
        let own = customer("rep", None);
        let other = customer("other", Some("rep"));
        assert!(authorize(&rep, &p, Action::ChangeOwnership { customer: &own }).is_ok());
        let denied = authorize(&rep, &p, Action::ChangeOwnership { customer: &other }).unwrap_err();
        assert_eq!(denied.rule, VerifyRule::ReassignUnauthorized);
        assert!(authorize(&rep, &p, Action::EditCustomer { customer: &other }).is_ok());
        assert!(authorize(&rep, &p, Action::RemoveCustomer).is_err());
        assert!(authorize(&rep, &p, Action::ChangeSettings).is_err());
    }

    #[test]
    fn managers_reassign_admins_administer() {
        let p = Policy::default();
        let m = person("m", Role::Manager);
        let a = person("a", Role::Admin);
        let c = customer("rep", None);
        assert!(authorize(&m, &p, Action::ChangeOwnership { customer: &c }).is_ok());
        assert!(authorize(&m, &p, Action::ChangeSettings).is_err());
        assert!(authorize(&a, &p, Action::ChangeSettings).is_ok());
        assert!(authorize(&a, &p, Action::RemoveCustomer).is_ok());
    }

    #[test]
    fn managers_reach_their_own_region_unless_the_scope_is_the_company() {
        let mut p = Policy::default();
        let mut m = person("m", Role::Manager);
        m.region = Some("华东".into());
        let mut east = customer("rep", None);
        east.region = Some("华东".into());
        let mut north = customer("rep", None);
        north.region = Some("华北".into());
        assert!(authorize(&m, &p, Action::ChangeOwnership { customer: &east }).is_ok());
        let denied = authorize(&m, &p, Action::ChangeOwnership { customer: &north }).unwrap_err();
        assert_eq!(denied.rule, VerifyRule::OutOfRegion);
        assert!(authorize(&m, &p, Action::EditCustomer { customer: &north }).is_err());
        assert!(authorize(&m, &p, Action::AddCustomer { customer: &north }).is_err());
        assert!(authorize(&m, &p, Action::ChangeOwnership { customer: &customer("rep", None) }).is_ok());
        assert!(authorize(&person("a", Role::Admin), &p, Action::ChangeOwnership { customer: &north }).is_ok());
        p.manager_scope = ManagerScope::Company;
        assert!(authorize(&m, &p, Action::ChangeOwnership { customer: &north }).is_ok());
    }

    #[test]
    fn departed_people_may_do_nothing() {
        let mut m = person("m", Role::Admin);
        m.status = StaffStatus::Departed;
        let denied = authorize(&m, &Policy::default(), Action::ChangeSettings).unwrap_err();
        assert_eq!(denied.rule, VerifyRule::ActorDeparted);
    }
}
