//! Placeholder; replaced by the fixture generator.
fn main() {}
