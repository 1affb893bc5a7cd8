//! Enums whose values users and files spell as words (`no-backup`,
//! `wrong-shard`, `dormant`): one macro gives each its list, its words,
//! parsing with an error that lists the known words, and serialisation
//! as the word, so a word is spelled in one place and an unknown one is
//! refused instead of silently matching nothing.

/// Defines an enum of named values: `ALL` in the documented order, `id`
/// (the word), `parse`, `FromStr` (the error names `$what` and lists the
/// known words), `Display`, and `Serialize` and `Deserialize` as the word.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident($what:literal) { $($variant:ident = $id:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $id, "`")] $variant,)*
        }

        impl $name {
            /// Every value, in the documented order.
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The word users and files spell.
            pub const fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)*
                }
            }

            /// The value spelled `id`.
            pub fn parse(id: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|r| r.id() == id)
            }

            /// The known words, comma-separated, for messages.
            pub fn known() -> String {
                $name::ALL.iter().map(|v| v.id()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<$name, String> {
                $name::parse(s).ok_or_else(|| format!("unknown {} `{s}` (known: {})", $what, $name::known()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.id())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let word = String::deserialize(d)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;
