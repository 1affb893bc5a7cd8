//! The SPEC's authorisation rules as pure functions: who may do what to the
//! store. `ops` use them to refuse early, `verify` to judge history.

use super::config::Policy;
use super::customer::Customer;
use super::staff::{Role, Staff};

/// Something a person does to the store.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create a customer owned by `owner`.
    AddCustomer {
        /// The new customer's owner.
        owner: &'a str,
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
    /// Change `crm.toml` or anything under `staff/`.
    ChangeSettings,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// Stable rule id.
    pub rule: &'static str,
    /// What the actor may not do, as a phrase after "X may not".
    pub reason: String,
}

/// Decides whether `actor` may do `action` under `policy`.
pub fn authorize(actor: &Staff, policy: &Policy, action: Action<'_>) -> Result<(), Denied> {
    let deny = |rule, reason: String| Err(Denied { rule, reason });
    if !actor.is_active() {
        return deny("actor-departed", "act: they have departed".into());
    }
    let me = actor.handle.as_str();
    let privileged = policy.may_reassign(actor.role);
    match action {
        Action::AddCustomer { owner } => {
            if owner == me || matches!(actor.role, Role::Manager | Role::Admin) {
                Ok(())
            } else {
                deny("add-for-other", format!("add a customer owned by {owner} (only managers and admins may)"))
            }
        }
        Action::ChangeOwnership { customer } => {
            if customer.owner == me || privileged {
                Ok(())
            } else {
                deny(
                    "reassign-unauthorized",
                    format!("change the owner or backup of {}, owned by {}", customer.id, customer.owner),
                )
            }
        }
        Action::EditCustomer { customer } => {
            if customer.owner == me || customer.backup.as_deref() == Some(me) || privileged {
                Ok(())
            } else {
                deny("edit-unauthorized", format!("edit {}, owned by {}", customer.id, customer.owner))
            }
        }
        Action::RemoveCustomer if actor.role == Role::Admin => Ok(()),
        Action::RemoveCustomer => deny("remove-unauthorized", "delete customers (admins only)".into()),
        Action::ChangeSettings if actor.role == Role::Admin => Ok(()),
        Action::ChangeSettings => deny("settings-unauthorized", "change crm.toml or staff/ (admins only)".into()),
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
        assert!(authorize(&rep, &p, Action::AddCustomer { owner: "rep" }).is_ok());
        assert!(authorize(&rep, &p, Action::AddCustomer { owner: "other" }).is_err());
        let own = customer("rep", None);
        let other = customer("other", Some("rep"));
        assert!(authorize(&rep, &p, Action::ChangeOwnership { customer: &own }).is_ok());
        let denied = authorize(&rep, &p, Action::ChangeOwnership { customer: &other }).unwrap_err();
        assert_eq!(denied.rule, "reassign-unauthorized");
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
    fn departed_people_may_do_nothing() {
        let mut m = person("m", Role::Admin);
        m.status = StaffStatus::Departed;
        let denied = authorize(&m, &Policy::default(), Action::ChangeSettings).unwrap_err();
        assert_eq!(denied.rule, "actor-departed");
    }
}
