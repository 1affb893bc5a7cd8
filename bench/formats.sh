#!/usr/bin/env bash
# crm's hand-written formats against the crates that do the same work
# (bench/README.md, "Hand-written formats against their crates"): the fast
# customer TOML reader against toml 1.x and toml_edit, git's index against
# gix-index and libgit2, pack writing against gix-pack. Builds the
# standalone crate bench/formats in release mode (its own target directory,
# so it never waits for or disturbs other builds) and runs it.
#
#   bench/formats.sh                 100,000 customer files, a 100,000-entry
#                                    index, packs of 5,871 and 50,000 blobs,
#                                    median of 5 runs (about 5 minutes), all
#                                    read from bench/run.sh's fixture
#                                    (target/bench-fixture-100k: run
#                                    bench/run.sh once to generate it)
#   bench/formats.sh --runs 3 --only index
#   bench/formats.sh --fixture DIR  (another store's files)
#
# Every other option goes to the program (--customers N, --index-entries N,
# --pack-sizes N,M). Needs git on the PATH.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${FORMATS_TARGET_DIR:-$ROOT/target/formats-bench}
cargo build --release --quiet --manifest-path "$ROOT/bench/formats/Cargo.toml"
echo "crm at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' (with uncommitted changes to src/)'), $(rustc --version)"
cd "$ROOT"
exec "$CARGO_TARGET_DIR/release/crm-formats-bench" "$@"
