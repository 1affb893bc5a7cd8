//! The index crm writes, against real git, on every index version and
//! extension crm keeps (being written).
