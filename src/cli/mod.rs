//! placeholder
/// Entry point.
pub fn main() -> i32 { 0 }
