//! `crm touch`: log an interaction with a customer (and, optionally, the
//! next step), appended to the file's `[[touches]]`.

use serde::Serialize;

use super::{Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::customer::TouchKind;
use crate::model::date::Date;
use crate::model::document::{touch_table, Document};
use crate::model::{CustomerId, Touch};
use crate::store::layout;
use crate::store::write::Change;
use crate::store::Store;
use crate::{Error, Result};

/// An interaction to log.
#[derive(Debug, Clone)]
pub struct TouchRequest {
    /// Which customer.
    pub id: CustomerId,
    /// visit | call | email | meeting | other.
    pub kind: TouchKind,
    /// What happened.
    pub summary: String,
    /// When (default: today).
    pub date: Option<Date>,
    /// The next step, if one was agreed.
    pub next_step: Option<String>,
    /// When the next step is due.
    pub next_date: Option<Date>,
}

/// What `touch` did.
#[derive(Debug, Clone, Serialize)]
pub struct Touched {
    /// The customer.
    pub customer: String,
    /// The logged interaction.
    pub touch: Touch,
    /// The commit.
    pub commit: String,
}

/// Logs an interaction by the acting person.
pub fn run(store: &Store, req: &TouchRequest, today: Date, opts: &WriteOptions) -> Result<Touched> {
    let summary = super::non_empty("summary", &req.summary)?;
    let w = Writer::start(store, opts)?;
    let customer = w.snapshot().existing_customer(&req.id)?;
    w.authorize(Action::EditCustomer { customer: &customer })?;
    let date = req.date.unwrap_or(today);
    if date > today.plus_days(1) {
        // A touch is something that happened; the pool's rules count from it.
        return Err(Error::invalid(
            "--date",
            date.to_string(),
            format!("is after today ({today}): a touch logs what happened; plan what comes next with --next-date"),
        ));
    }
    let touch = Touch { date, by: w.actor.handle.to_string(), kind: req.kind.id().to_string(), summary };
    let path = layout::customer_path(&req.id);
    let src = w.snapshot().text(&path)?.unwrap_or_default();
    let mut doc = Document::parse(&path, &src)?;
    doc.push_table("touches", touch_table(&touch));
    if let Some(step) = &req.next_step {
        doc.set("next_step", super::non_empty("next step", step)?);
    }
    doc.set_opt("next_date", req.next_date.map(Date::to_toml));
    let message =
        Message { subject: format!("touch {}: {} by {}", req.id, touch.kind, touch.by), action: "touch", reason: None };
    let commit = w.commit(&message, vec![Change::write(path, doc.to_string())])?;
    Ok(Touched { customer: req.id.to_string(), touch, commit: commit.to_string() })
}
