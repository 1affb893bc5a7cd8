//! Where a sealable value sits in a customer: `notes`, `next_step`,
//! `contacts[0].phone`, `touches[3].summary`. A ciphertext is bound to this
//! path (spelled out), and findings name it; `crm check` walks every value
//! of the store, so a path is spelled only when one of those needs it.

use std::fmt;

use crate::model::config::{SealConfig, SEALABLE_FIELDS};
use crate::model::Customer;

/// The path of one sealable value of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldPath {
    /// `notes`.
    Notes,
    /// `next_step`.
    NextStep,
    /// `contacts[i].KEY`.
    Contact(usize, ContactKey),
    /// `touches[i].summary`.
    Touch(usize),
}

/// A contact's sealable keys, in the order of [`SEALABLE_FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKey {
    /// `name`.
    Name,
    /// `title`.
    Title,
    /// `phone`.
    Phone,
    /// `email`.
    Email,
}

impl ContactKey {
    /// Each, in file order.
    const ALL: [ContactKey; 4] = [ContactKey::Name, ContactKey::Title, ContactKey::Phone, ContactKey::Email];

    /// The key as the file spells it.
    fn key(self) -> &'static str {
        match self {
            ContactKey::Name => "name",
            ContactKey::Title => "title",
            ContactKey::Phone => "phone",
            ContactKey::Email => "email",
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Notes => f.write_str("notes"),
            FieldPath::NextStep => f.write_str("next_step"),
            FieldPath::Contact(i, key) => write!(f, "contacts[{i}].{}", key.key()),
            FieldPath::Touch(i) => write!(f, "touches[{i}].summary"),
        }
    }
}

impl FieldPath {
    /// The position of its field in [`SEALABLE_FIELDS`].
    pub fn field_index(self) -> usize {
        match self {
            FieldPath::Contact(_, key) => key as usize,
            FieldPath::Notes => 4,
            FieldPath::NextStep => 5,
            FieldPath::Touch(_) => 6,
        }
    }

    /// The field as `[seal] fields` lists it (`contacts.phone`).
    pub fn field(self) -> &'static str {
        SEALABLE_FIELDS[self.field_index()]
    }

    /// Every sealable value `c` holds, with its path, in file order of
    /// the tables.
    pub fn values(c: &Customer) -> Vec<(FieldPath, &str)> {
        let mut out = Vec::with_capacity(2 + 4 * c.contacts.len() + c.touches.len());
        out.extend(c.notes.as_deref().map(|v| (FieldPath::Notes, v)));
        out.extend(c.next_step.as_deref().map(|v| (FieldPath::NextStep, v)));
        for (i, p) in c.contacts.iter().enumerate() {
            let values = [Some(p.name.as_str()), p.title.as_deref(), p.phone.as_deref(), p.email.as_deref()];
            for (key, v) in ContactKey::ALL.into_iter().zip(values) {
                out.extend(v.map(|v| (FieldPath::Contact(i, key), v)));
            }
        }
        out.extend(c.touches.iter().enumerate().map(|(i, t)| (FieldPath::Touch(i), t.summary.as_str())));
        out
    }

    /// The value at this path of `c`, to replace.
    pub fn slot(self, c: &mut Customer) -> Option<&mut String> {
        match self {
            FieldPath::Notes => c.notes.as_mut(),
            FieldPath::NextStep => c.next_step.as_mut(),
            FieldPath::Touch(i) => Some(&mut c.touches.get_mut(i)?.summary),
            FieldPath::Contact(i, key) => {
                let contact = c.contacts.get_mut(i)?;
                match key {
                    ContactKey::Name => Some(&mut contact.name),
                    ContactKey::Title => contact.title.as_mut(),
                    ContactKey::Phone => contact.phone.as_mut(),
                    ContactKey::Email => contact.email.as_mut(),
                }
            }
        }
    }
}

/// Which fields a store seals, worked out once from `[seal] fields`.
#[derive(Debug, Clone, Copy)]
pub struct SealedFields([bool; SEALABLE_FIELDS.len()]);

impl SealedFields {
    /// The fields `cfg` seals.
    pub fn of(cfg: &SealConfig) -> SealedFields {
        SealedFields(SEALABLE_FIELDS.map(|field| cfg.fields.iter().any(|f| f == field)))
    }

    /// The values of `c` in those fields, by path.
    pub fn values(self, c: &Customer) -> Vec<(FieldPath, &str)> {
        let mut values = FieldPath::values(c);
        values.retain(|(path, _)| self.0[path.field_index()]);
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_spelled_as_the_file_nests_them() {
        assert_eq!(FieldPath::Notes.to_string(), "notes");
        assert_eq!(FieldPath::Contact(2, ContactKey::Phone).to_string(), "contacts[2].phone");
        assert_eq!(FieldPath::Touch(0).to_string(), "touches[0].summary");
        assert_eq!(FieldPath::Contact(2, ContactKey::Phone).field(), "contacts.phone");
        assert_eq!(FieldPath::Touch(7).field(), "touches.summary");
        assert_eq!(FieldPath::NextStep.field(), "next_step");
        for key in ContactKey::ALL {
            assert_eq!(FieldPath::Contact(0, key).field(), format!("contacts.{}", key.key()));
        }
    }
}
