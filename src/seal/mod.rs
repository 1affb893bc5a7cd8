//! Sealing: the sensitive values of a customer encrypted so that only the
//! people the ownership policy entitles can read them, while the structure
//! (owner, dates, values, regions, tiers) stays in the clear for lists,
//! reports, checks and verification.
//!
//! The sops model with age: each customer has a random data key; every
//! sealed value is encrypted under it ([`value`]); the data key is sealed
//! under the key of a ring ([`ring`]), which is wrapped with age for each
//! reader's SSH public key ([`envelope`]); who the readers are follows the
//! policy ([`policy`]); [`record`] applies all of it to a customer file.
//! No I/O here: the acting user's private key and the ring files come in
//! from the layers above.

pub mod audit;
pub mod envelope;
pub mod field;
pub mod identity;
pub mod policy;
pub mod record;
pub mod ring;
pub mod value;

pub use envelope::Recipient;
pub use policy::{Readers, RECOVERY};
pub use value::DataKey;
