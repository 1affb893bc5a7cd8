//! `crm whoami`: who crm takes you for, why, and whether `crm verify` will
//! count your commits as yours — the same decisions a write makes, made
//! without writing.

use serde::Serialize;

use super::WriteOptions;
use crate::model::Handle;
use crate::store::layout;
use crate::store::snapshot::{Readable, Unreadable};
use crate::store::{Named, Store};
use crate::{Error, Result};

/// Who acts, and how their commits will be judged.
#[derive(Debug, Clone, Serialize)]
pub struct Whoami {
    /// Staff handle.
    pub handle: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Region, if any.
    pub region: Option<String>,
    /// active or departed.
    pub status: String,
    /// What named them: `CRM_USER`, `crm.user`, or `user.email`.
    pub named_by: String,
    /// The committer email of the commits crm would make.
    pub committer_email: String,
    /// How commits would be signed: `ssh`, `openpgp`, `x509`, or `none`.
    pub signing: String,
    /// The SSH key they would be signed with, when known.
    pub signing_key: Option<String>,
    /// Whether `crm verify` would count a commit made now as theirs.
    pub attributable: bool,
    /// What is wrong, when it would not.
    pub problem: Option<String>,
    /// What to configure, when it would not.
    pub fix: Option<String>,
}

/// The handle of the person acting under `opts` (for `--owner me` and
/// `crm agenda`): a staff file that cannot be read stands in the way only
/// when nobody else is found (it may be theirs).
pub fn handle(store: &Store, opts: &WriteOptions) -> Result<String> {
    let Readable { value: staff, skipped } = store.head()?.readable_staff()?;
    match store.identify(&staff, opts.actor.as_deref(), opts.stamps.committer.email.as_deref()) {
        Ok((person, _)) => Ok(person.handle.to_string()),
        Err(e) => {
            // They may be the person of a file that cannot be read: name it.
            let theirs = |u: &Unreadable| match &e {
                Error::UnknownActor(_) => true,
                Error::UnknownStaff(h) => Handle::parse(h).is_ok_and(|h| u.path == layout::staff_path(&h)),
                _ => false,
            };
            Err(skipped.into_iter().find(theirs).map_or(e, Error::from))
        }
    }
}

/// Works out who acts under `opts`, as a write would.
pub fn run(store: &Store, opts: &WriteOptions) -> Result<Whoami> {
    let head = store.head()?;
    let config = head.config()?;
    let staff = head.staff()?;
    let email = opts.stamps.committer.email.as_deref();
    let (person, named) = store.identify(&staff, opts.actor.as_deref(), email)?;
    let signer = store.signer(opts.sign, config.policy.require_signed)?;
    let verdict = store.refuse_unattributable(&person, signer.as_ref(), email);
    Ok(Whoami {
        handle: person.handle.to_string(),
        name: person.name.clone(),
        role: person.role.to_string(),
        region: person.region.clone(),
        status: person.status.to_string(),
        named_by: match named {
            Named::Override => "CRM_USER".into(),
            Named::CrmUser => "git config crm.user".into(),
            Named::Email(e) => format!("user.email <{e}>"),
        },
        committer_email: store.committer_email(email),
        signing: signer.as_ref().map_or("none".into(), |s| s.format_name().into()),
        signing_key: signer.as_ref().and_then(|s| s.ssh_public_key()),
        attributable: verdict.is_ok(),
        fix: match &verdict {
            Err(Error::Unattributable { fix, .. }) => Some(fix.clone()),
            _ => None,
        },
        problem: verdict.err().map(|e| e.to_string()),
    })
}
