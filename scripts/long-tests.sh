#!/usr/bin/env bash
# The slow multi-writer tests, left out of `cargo test` by #[ignore]:
# clones syncing concurrently through a bare repository, many processes
# writing one store, and SIGKILL at random moments of a bulk handover
# (tests/cli/stress.rs). Built in release; each test takes under two
# minutes. Extra arguments go to the test harness, e.g. a name filter or
# --nocapture to see the timings and where the kills landed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release --test cli -- --ignored --test-threads=2 "$@"
