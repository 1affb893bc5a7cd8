#!/usr/bin/env bash
# crm's scale benchmark: builds crm and the fixture generator in release
# mode, builds (or reuses) a 100,000-customer store, then times each
# scenario against a plain-git baseline measured in the same run and prints
# one table. See bench/README.md for what each row means.
#
#   bench/run.sh            full run (a while: some crm commands take minutes)
#   bench/run.sh --smoke    CI: 10,000 customers, every scenario once; fails
#                           only when a crm command fails, never on timings
#
# Options: --no-scaling (skip the 10k/30k fixtures), --only sealed (the
# sealed rows and the unsealed runs they compare with), --only pool (the
# pool release row and its reassign), --runs N (hyperfine runs
# for quick commands, default 5), --repack (git repack -adf the fixture once,
# as a long-lived store would be; about 4 minutes at 100k). Fixtures live in
# target/bench-fixture-* and are reused while bench/generate.rs and the
# parameters are unchanged.
set -euo pipefail

MODE=full
SCALING=1
RUNS=${BENCH_RUNS:-5}
REPACK=0
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) MODE=smoke ;;
        --no-scaling) SCALING=0 ;;
        --repack) REPACK=1 ;;
        --runs) RUNS=$2; shift ;;
        --only)
            case "$2" in sealed|pool) ;; *) echo "bench/run.sh: --only takes sealed or pool" >&2; exit 2 ;; esac
            ONLY=$2; SCALING=0; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET/bench-$MODE
mkdir -p "$WORK/logs" "$WORK/json" "$WORK/bin"
say() { printf '%s\n' "$*" >&2; }

# -- tools ---------------------------------------------------------------------

APT_UPDATED=0
need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 …"
    if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need git git
need ssh-keygen openssh-client
[ -x /usr/bin/time ] || need /usr/bin/time time
if [ "$MODE" = full ]; then need hyperfine hyperfine; need jq jq; fi
command -v cargo >/dev/null || { say "cargo is needed"; exit 2; }

# -- build ---------------------------------------------------------------------

say "building crm and the fixture generator (release) …"
(cd "$ROOT" && cargo build --release --quiet --bin crm --example generate-fixture)
# Private copies: someone else may rebuild target/release while we measure.
cp "$TARGET/release/crm" "$WORK/bin/crm"
cp "$TARGET/release/examples/generate-fixture" "$WORK/bin/generate-fixture"
CRM=$WORK/bin/crm
GEN=$WORK/bin/generate-fixture
export NO_COLOR=1 CRM_NO_INPUT=1

# -- fixtures ------------------------------------------------------------------

# fixture NAME ARGS… : builds target/bench-fixture-NAME unless an identical
# one exists (same generator source and arguments); sets FIX and GEN_LINE.
fixture() {
    local name=$1; shift
    FIX=$TARGET/bench-fixture-$name
    local stamp
    stamp="$(sha256sum "$ROOT/bench/generate.rs" | cut -c1-16) $* repack=$REPACK"
    if [ -f "$FIX/.git/bench-fixture.env" ] && [ "$(cat "$FIX/.git/bench-stamp" 2>/dev/null)" = "$stamp" ]; then
        GEN_LINE="$(cat "$FIX/.git/bench-generated") (cached)"
        say "reusing $FIX"
    else
        say "generating $FIX ($*) …"
        GEN_LINE=$("$GEN" --dir "$FIX" --force "$@")
        if [ "$REPACK" = 1 ]; then
            local t0=$SECONDS
            git -C "$FIX" repack -adf -q
            GEN_LINE="$GEN_LINE; then git repack -adf in $((SECONDS - t0))s"
        fi
        # What `git gc` leaves behind: a commit-graph with changed-path filters.
        git -C "$FIX" commit-graph write --reachable --changed-paths 2>/dev/null
        ls "$FIX/.git/objects/pack" >"$FIX/.git/bench-packs"
        printf '%s\n' "$GEN_LINE" >"$FIX/.git/bench-generated"
        printf '%s\n' "$stamp" >"$FIX/.git/bench-stamp"
    fi
    say "$GEN_LINE"
    # shellcheck disable=SC1091
    . "$FIX/.git/bench-fixture.env"
    export CRM_USER=$FIXTURE_ADMIN CRM_TODAY=$FIXTURE_LAST_DATE
    reset_fixture
}

# Back to the generated state: HEAD, index, work tree; no stray objects
# (loose ones, or packs crm wrote for bulk changes).
reset_fixture() {
    git -C "$FIX" reset -q --hard "$FIXTURE_HEAD"
    git -C "$FIX" clean -fdq -- customers staff
    git -C "$FIX" reflog expire --expire=now --all
    find "$FIX/.git/objects" -path "$FIX/.git/objects/??/*" -type f -delete
    local packs=$FIX/.git/bench-packs
    [ -f "$packs" ] || ls "$FIX/.git/objects/pack" >"$packs"
    for p in "$FIX"/.git/objects/pack/*; do
        grep -qxF "$(basename "$p")" "$packs" || rm -f "$p"
    done
    if [ ! -f "$FIX/.git/objects/info/commit-graph" ] && [ ! -d "$FIX/.git/objects/info/commit-graphs" ]; then
        git -C "$FIX" commit-graph write --reachable --changed-paths 2>/dev/null
    fi
}

# -- measuring -----------------------------------------------------------------

FAILED=()
# measure ID KIND PREPARE COMMAND: sets MEDIAN (seconds) or MEDIAN=FAIL.
# KIND is crm (a failure fails the run) or base. One timed probe run first:
# in smoke mode, or when it took over a minute, it is the measurement;
# otherwise hyperfine measures (5 runs after a warmup; 3 runs for commands
# over 10 s, the probe serving as warmup).
measure() {
    local id=$1 kind=$2 prep=$3 cmd=$4 log=$WORK/logs/$1.log
    : >"$log"
    if [ -n "$prep" ]; then bash -c "$prep" >>"$log" 2>&1; fi
    local t0=$EPOCHREALTIME
    if ! bash -c "$cmd" >/dev/null 2>>"$log"; then
        MEDIAN=FAIL
        say "FAILED ($kind) $id: $cmd"
        sed 's/^/    /' "$log" | tail -20 >&2
        [ "$kind" = crm ] && FAILED+=("$id")
        return 0
    fi
    local t1=$EPOCHREALTIME
    local probe
    probe=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    if [ "$MODE" = smoke ] || awk -v p="$probe" 'BEGIN { exit !(p > 60) }'; then
        MEDIAN=$probe
        say "  $id: $(fmt_secs "$MEDIAN") (1 run)"
        return 0
    fi
    local warmup=1 runs=$RUNS
    if awk -v p="$probe" 'BEGIN { exit !(p > 10) }'; then warmup=0; runs=3; fi
    local args=(--style none --warmup "$warmup" --runs "$runs" --export-json "$WORK/json/$id.json")
    [ -n "$prep" ] && args+=(--prepare "$prep")
    if ! hyperfine "${args[@]}" "$cmd" >>"$log" 2>&1; then
        MEDIAN=FAIL
        say "FAILED ($kind) $id under hyperfine: $cmd"
        tail -5 "$log" >&2
        [ "$kind" = crm ] && FAILED+=("$id")
        return 0
    fi
    MEDIAN=$(jq '.results[0].median' "$WORK/json/$id.json")
    say "  $id: $(fmt_secs "$MEDIAN") (median of $runs)"
}

# measure_pair ID_A ID_B PREPARE COMMAND_A COMMAND_B: sets MEDIAN_A and
# MEDIAN_B (seconds, or FAIL). For two crm commands doing the same work on
# the same disk, whose ratio is the row: the runs alternate (a warmup of
# each, then RUNS rounds of A and B, each run after PREPARE), so the
# machine's drift falls on both alike; hyperfine's runs of one command
# after all of the other's would put it on one of them.
measure_pair() {
    local a=$1 b=$2 prep=$3 log=$WORK/logs/$1+$2.log rounds=$RUNS first=0 i side t0 t1
    local -a cmds=("$4" "$5") ids=("$a" "$b") times_a=() times_b=()
    [ "$MODE" = smoke ] && { rounds=1; first=1; }
    : >"$log"
    for ((i = first; i <= rounds; i++)); do
        for side in 0 1; do
            bash -c "$prep" >>"$log" 2>&1
            t0=$EPOCHREALTIME
            if ! bash -c "${cmds[side]}" >/dev/null 2>>"$log"; then
                MEDIAN_A=FAIL MEDIAN_B=FAIL
                say "FAILED (crm) ${ids[side]}: ${cmds[side]}"
                tail -20 "$log" | sed 's/^/    /' >&2
                FAILED+=("${ids[side]}")
                return 0
            fi
            t1=$EPOCHREALTIME
            ((i == 0)) && continue
            if ((side == 0)); then times_a+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
            else times_b+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); fi
        done
    done
    MEDIAN_A=$(median "${times_a[@]}") MEDIAN_B=$(median "${times_b[@]}")
    say "  $a: $(fmt_secs "$MEDIAN_A"), $b: $(fmt_secs "$MEDIAN_B") (medians of $rounds alternating rounds)"
}

# median NUMBERS…: their median.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# peak_rss ID COMMAND: sets RSS_MB (max resident set size) or FAIL.
peak_rss() {
    local id=$1 cmd=$2
    if /usr/bin/time -f %M -o "$WORK/logs/$id.rss" bash -c "exec $cmd" >/dev/null 2>"$WORK/logs/$id.log"; then
        RSS_MB=$(awk '{ printf "%.0f", $1 / 1024 }' "$WORK/logs/$id.rss")
        say "  $id: $RSS_MB MB"
    else
        RSS_MB=FAIL
        FAILED+=("$id")
        say "FAILED $id: $cmd"; tail -5 "$WORK/logs/$id.log" >&2
    fi
}

fmt_secs() {
    case "$1" in FAIL|-|'') printf '%s' "${1:--}"; return ;; esac
    awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else if (s < 100) printf "%.2f s", s; else printf "%.0f s", s }'
}

ROWS=()
# row SCENARIO CRM BASE TARGET_RATIO: a timed row with its verdict.
row() {
    local name=$1 a=$2 b=$3 target=$4 ratio=- verdict=
    if [[ "$a" != FAIL && "$b" != FAIL && "$b" != - ]]; then
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "ok" : "MISS" }')
    elif [ "$a" = FAIL ]; then
        verdict=FAIL
    fi
    ROWS+=("$name|$(fmt_secs "$a")|$(fmt_secs "$b")|$ratio|≤ $target $verdict")
}
# info_row SCENARIO CRM BASE: a timed row without a target.
info_row() {
    local ratio=-
    [[ "$2" != FAIL && "$3" != FAIL ]] && ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')
    ROWS+=("$1|$(fmt_secs "$2")|$(fmt_secs "$3")|$ratio|(no target)")
}
# floor_row SCENARIO VALUE UNIT FLOOR: a row against an absolute minimum.
floor_row() {
    local name=$1 v=$2 unit=$3 floor=$4 verdict=FAIL
    [ "$v" != FAIL ] && verdict=$(awk -v v="$v" -v f="$floor" 'BEGIN { print (v >= f) ? "ok" : "MISS" }')
    ROWS+=("$name|$v $unit|-|-|≥ $floor $unit $verdict")
}
# limit_row SCENARIO VALUE UNIT LIMIT: a row against an absolute limit.
limit_row() {
    local name=$1 v=$2 unit=$3 limit=$4 verdict=FAIL
    [ "$v" != FAIL ] && verdict=$(awk -v v="$v" -v l="$limit" 'BEGIN { print (v <= l) ? "ok" : "MISS" }')
    ROWS+=("$name|$v $unit|-|-|≤ $limit $unit $verdict")
}

print_table() {
    local w1=0 w2=0 w3=0 w4=0 r a b c d e
    for r in "scenario|crm median|baseline median|ratio|target" "${ROWS[@]}"; do
        IFS='|' read -r a b c d e <<<"$r"
        ((${#a} > w1)) && w1=${#a}; ((${#b} > w2)) && w2=${#b}; ((${#c} > w3)) && w3=${#c}; ((${#d} > w4)) && w4=${#d}
    done
    for r in "scenario|crm median|baseline median|ratio|target" "SEP" "${ROWS[@]}"; do
        if [ "$r" = SEP ]; then
            printf '%s\n' "$(printf -- '-%.0s' $(seq 1 $((w1 + w2 + w3 + w4 + 24))))"
            continue
        fi
        IFS='|' read -r a b c d e <<<"$r"
        printf "%-${w1}s | %${w2}s | %${w3}s | %${w4}s | %s\n" "$a" "$b" "$c" "$d" "$e"
    done
}

# -- the machine ---------------------------------------------------------------

{
    echo "machine: $(nproc) cores; $(free -g | awk '/^Mem:/ { print $2 " GB RAM" }')"
    lscpu | head -n 15 | sed -n 's/^\(Model name\|Architecture\|CPU(s)\|Thread(s) per core\):\s*/  \1: /p'
    echo "crm: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src/'); git $(git --version | cut -d' ' -f3)"
} | tee "$WORK/machine.txt" >&2

# -- import --------------------------------------------------------------------

if [ -z "$ONLY" ]; then

# crm import of a CSV into an empty store vs putting the files crm wrote
# into the same empty store with cp and committing them with git. Measured
# first, before the scenarios that delete and rewrite thousands of files
# (see FRESH_IMPORT_STORE); the rows are printed after the others.
IMPORT_ROWS=50000
[ "$MODE" = smoke ] && IMPORT_ROWS=2000
IMP=$WORK/import
IMP_CSV=$WORK/import-$IMPORT_ROWS.csv
IMP_EMPTY=$WORK/import-empty
rm -rf "$IMP" "$WORK/import-files" # left by an interrupted run
say "import of $IMPORT_ROWS rows …"
awk -v n="$IMPORT_ROWS" 'BEGIN {
    print "name,owner,region,contact,phone,email,value"
    for (i = 0; i < n; i++)
        printf "Import Customer %05d Transport,bench.rep,华中,Contact %d,+86 371 %07d,c%d@import.invalid,%d\n", i, i, 5550000 + i, i, (i * 7919) % 9000000
}' >"$IMP_CSV"
rm -rf "$IMP_EMPTY" && mkdir -p "$IMP_EMPTY"
(
    cd "$IMP_EMPTY"
    git init -q
    git config user.name "Bench Admin" && git config user.email bench.admin@bench.invalid
    "$CRM" init -q --company Bench --admin bench.admin --name "Bench Admin" --email bench.admin@bench.invalid --no-sign
    CRM_USER=bench.admin "$CRM" staff add bench.rep --name "Bench Rep" --email bench.rep@bench.invalid \
        --role rep --region 华中 --no-sign --quiet
) >"$WORK/logs/import-setup.log" 2>&1 || { say "FAILED import setup"; tail -5 "$WORK/logs/import-setup.log" >&2; FAILED+=(import-setup); }
# Each run gets a fresh copy of the empty store; the previous one is moved
# aside, not deleted: for minutes after 50,000 files are deleted, ext4
# skips their inodes ("recently deleted") and creating files gets several
# times slower, for crm and git alike (here the crm import took 2.0 s on a
# quiet file system, 4.5-4.9 s right after a store was deleted). The
# copies are deleted at the very end.
FRESH_IMPORT_STORE="mkdir -p $WORK/import-old && if [ -d $IMP ]; then mv $IMP $WORK/import-old/\$(date +%s%N); fi && cp -a $IMP_EMPTY $IMP"
measure import crm "$FRESH_IMPORT_STORE" "cd $IMP && CRM_USER=bench.admin $CRM import csv $IMP_CSV --yes --no-sign --quiet"; IMPORT_A=$MEDIAN
cp -a "$IMP/customers" "$WORK/import-files"
measure import-git base "$FRESH_IMPORT_STORE" "cd $IMP && cp -r $WORK/import-files customers && git add -A && git commit -qm import"; IMPORT_B=$MEDIAN
# Deleted at the very end, for the reason above.
mv "$IMP" "$WORK/import-old/last" && mv "$WORK/import-files" "$WORK/import-old/files"
fi

# -- the main fixture ----------------------------------------------------------

if [ "$MODE" = smoke ]; then
    fixture small --small --signed-tail 500 --merge-tail 250 --merge-every 5 --check-format
else
    # The last 10,000 signed commits come as side branches of one commit
    # merged after four others: 2,000 merges, judged path by path.
    fixture 100k --customers 100000 --commits 100000 --staff 300 --regions 8 --signed-tail 20000 \
        --merge-tail 10000 --merge-every 5
fi
MAIN_GEN_LINE=$GEN_LINE
cd "$FIX"
PROBE_ID=bench-probe
PROBE_PATH="customers/$(printf %s "$PROBE_ID" | sha256sum | cut -c1-2)/$PROBE_ID.toml"
NO_GRAPH='rm -f .git/objects/info/commit-graph; rm -rf .git/objects/info/commit-graphs'
SIGNERS="-c gpg.ssh.allowedSignersFile=$FIXTURE_ALLOWED_SIGNERS"
say "scenarios on $FIXTURE_CUSTOMERS customers, $FIXTURE_COMMITS commits ($FIXTURE_SIGNED_TAIL signed) …"

if [ "$ONLY" = sealed ]; then
    # The unsealed runs the sealed rows compare with.
    N_MOVE=$FIXTURE_BIG_OWNER_COUNT
    measure reassign crm "git reset -q --hard $FIXTURE_HEAD" \
        "$CRM reassign --from $FIXTURE_BIG_OWNER --to $FIXTURE_REASSIGN_TO --reason 'bench: territory change' --yes --no-sign --quiet"; REASSIGN_PLAIN=$MEDIAN
    reset_fixture
    "$CRM" log "$FIXTURE_LOG_ID" >/dev/null 2>&1 || true
elif [ -z "$ONLY" ]; then
# crm check vs reading every customer file.
measure check crm "" "$CRM check"; CHECK=$MEDIAN
measure check-floor base "" "git ls-files -z customers | xargs -0 cat >/dev/null"; FLOOR=$MEDIAN
row "crm check" "$CHECK" "$FLOOR" 2.0

# crm log ID, first run (no .git/crm) vs git log without a commit-graph.
measure log-cold crm "rm -rf .git/crm" "$CRM log $FIXTURE_LOG_ID"; A=$MEDIAN
measure log-cold-git base "$NO_GRAPH" "git log --format=%H -- $FIXTURE_LOG_PATH"; B=$MEDIAN
git commit-graph write --reachable --changed-paths 2>/dev/null
row "crm log ID, first run (no cache)" "$A" "$B" 2.0

# crm log ID warm vs git log with a changed-paths commit-graph.
"$CRM" log "$FIXTURE_LOG_ID" >/dev/null 2>&1 || true
measure log-warm crm "" "$CRM log $FIXTURE_LOG_ID"; A=$MEDIAN
measure log-warm-git base "" "git log --format=%H -- $FIXTURE_LOG_PATH"; B=$MEDIAN
row "crm log ID, warm" "$A" "$B" 1.0

# crm find warm (catalog cache up to date) vs git grep -F of the same term
# over customers/: a contact's name, which crm ranks across every field.
FIND_TERM=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$FIXTURE_LOG_PATH" | tail -1)
"$CRM" find "$FIND_TERM" >/dev/null 2>&1 || true
measure find crm "" "$CRM find '$FIND_TERM'"; A=$MEDIAN
measure find-git base "" "git grep -F -e '$FIND_TERM' -- customers/"; B=$MEDIAN
row "crm find (a contact's name), warm" "$A" "$B" 1.0
[ "$A" != FAIL ] && limit_row "  crm find, warm, in milliseconds" "$(awk -v a="$A" 'BEGIN { printf "%.0f", a * 1000 }')" ms 150

# Shell completion of customer ids: what TAB runs for `crm show zh<TAB>`
# (catalog cache up to date, as after the find above). A person waits for it
# at the prompt: it must feel instant.
COMPLETE_PREFIX=${FIXTURE_LOG_ID:0:2}
measure complete crm "" "COMPLETE=bash _CLAP_COMPLETE_INDEX=2 $CRM -- crm show $COMPLETE_PREFIX"; A=$MEDIAN
[ "$A" != FAIL ] && limit_row "crm show $COMPLETE_PREFIX<TAB> (completion), in milliseconds" "$(awk -v a="$A" 'BEGIN { printf "%.0f", a * 1000 }')" ms 150

# crm list sorted by value, top 20, vs the whole list in its default order.
measure list-top crm "" "$CRM list --sort value --reverse --limit 20"; A=$MEDIAN
measure list-all crm "" "$CRM list"; B=$MEDIAN
row "crm list --sort value --reverse --limit 20 (vs crm list)" "$A" "$B" 1.2

# The weekly report vs the check floor, warm (a cron job on a kept clone,
# caches in .git/crm up to date but for the new commits); and the first
# run on a fresh clone (no .git/crm: a scheduled CI job), which builds the
# history index, vs git listing the changes of the same history.
"$CRM" report handover --since 7d >/dev/null 2>&1 || true
measure report crm "" "$CRM report handover --since 7d"; REPORT=$MEDIAN
row "crm report handover --since 7d" "$REPORT" "$FLOOR" 2.5
measure report-cold crm "rm -rf .git/crm" "$CRM report handover --since 7d"; A=$MEDIAN
measure report-cold-git base "" "git log --raw --no-renames >/dev/null"; B=$MEDIAN
row "crm report handover, first run (no .git/crm) vs git log --raw" "$A" "$B" 1.0
"$CRM" log "$FIXTURE_LOG_ID" >/dev/null 2>&1 || true

# Every person's own list as one mail each (the digest cron job), caches
# warm, vs one warm report: the store is read once for all of them.
DIGESTS=$WORK/digests
measure digest crm "rm -rf $DIGESTS" "$CRM report digest --each --mail --out $DIGESTS"; A=$MEDIAN
DIGEST_N=$(find "$DIGESTS" -name '*.eml' 2>/dev/null | wc -l)
row "crm report digest --each --mail, $DIGEST_N people (vs the warm report)" "$A" "$REPORT" 2.0

# crm agenda for one rep vs crm list --owner for the same rep, caches warm
# (the report just rebuilt them): a typical portfolio (the owner of the log
# row's customer), and the biggest (the one reassign --from moves later).
AGENDA_REP=$(sed -n 's/^owner = "\(.*\)"$/\1/p' "$FIXTURE_LOG_PATH" | head -1)
AGENDA_N=$("$CRM" list --owner "$AGENDA_REP" --format csv 2>/dev/null | tail -n +2 | wc -l)
"$CRM" agenda --for "$AGENDA_REP" >/dev/null 2>&1 || true
measure agenda crm "" "$CRM agenda --for $AGENDA_REP"; A=$MEDIAN
measure agenda-list crm "" "$CRM list --owner $AGENDA_REP"; B=$MEDIAN
row "crm agenda --for REP, $AGENDA_N customers (vs crm list --owner REP)" "$A" "$B" 1.0
measure agenda-big crm "" "$CRM agenda --for $FIXTURE_BIG_OWNER"; A=$MEDIAN
measure agenda-big-list crm "" "$CRM list --owner $FIXTURE_BIG_OWNER"; B=$MEDIAN
row "  the same for the biggest portfolio, $FIXTURE_BIG_OWNER_COUNT customers" "$A" "$B" 1.0

# crm verify over the signed tail vs git checking each signature.
measure verify crm "" "$CRM verify $FIXTURE_TAIL_BASE..HEAD"; A=$MEDIAN
measure verify-git base "" "git $SIGNERS log --show-signature $FIXTURE_TAIL_BASE..HEAD >/dev/null"; B=$MEDIAN
row "crm verify A..HEAD ($FIXTURE_SIGNED_TAIL signed commits, $FIXTURE_MERGES merges)" "$A" "$B" 0.2
N_MERGE_PART=$(git rev-list --count "$FIXTURE_MERGE_BASE..HEAD")
measure verify-merges crm "" "$CRM verify $FIXTURE_MERGE_BASE..HEAD"; A=$MEDIAN
measure verify-merges-git base "" "git $SIGNERS log --show-signature $FIXTURE_MERGE_BASE..HEAD >/dev/null"; B=$MEDIAN
row "  its merge-heavy part ($N_MERGE_PART commits, $FIXTURE_MERGES merges)" "$A" "$B" 0.2

# Peak memory.
peak_rss rss-check "$CRM check"; limit_row "peak RSS: crm check" "$RSS_MB" MB 256
peak_rss rss-report "$CRM report handover --since 7d"; limit_row "peak RSS: crm report handover" "$RSS_MB" MB 256
peak_rss rss-verify "$CRM verify $FIXTURE_TAIL_BASE..HEAD"; limit_row "peak RSS: crm verify" "$RSS_MB" MB 256

# crm add of one customer vs git add + commit of the same file.
ADD="$CRM add --id $PROBE_ID --name 'Bench Probe Transit AB' --owner $FIXTURE_BIG_OWNER --tier standard --value 1200000 --contact 'Probe Person <probe@bench-probe.invalid> +1 555 0100 0199' --tag bench --no-sign --quiet"
RESET="git reset -q --hard $FIXTURE_HEAD && rm -f $PROBE_PATH"
measure add crm "$RESET" "$ADD"; A=$MEDIAN
if [ -f "$PROBE_PATH" ]; then cp "$PROBE_PATH" "$WORK/probe.toml"; else printf 'name = "Bench Probe Transit AB"\nowner = "%s"\n' "$FIXTURE_BIG_OWNER" >"$WORK/probe.toml"; fi
measure add-git base "$RESET && mkdir -p $(dirname "$PROBE_PATH") && cp $WORK/probe.toml $PROBE_PATH" \
    "git add $PROBE_PATH && git commit -q -m 'add $PROBE_ID'"; B=$MEDIAN
row "crm add (one customer)" "$A" "$B" 1.0

# Bytes of objects one crm add writes (loose, before any gc).
reset_fixture
loose() { find .git/objects -path '.git/objects/??/*' -type f | sort; }
loose >"$WORK/loose-before"
if bash -c "$ADD" >/dev/null 2>"$WORK/logs/add-bytes.log"; then
    loose >"$WORK/loose-after"
    ADD_KB=$(comm -13 "$WORK/loose-before" "$WORK/loose-after" | xargs -r stat -c %s | awk '{ s += $1 } END { printf "%.1f", s / 1024 }')
    ADD_OBJECTS=$(comm -13 "$WORK/loose-before" "$WORK/loose-after" | wc -l)
    say "  add-bytes: $ADD_KB KB in $ADD_OBJECTS objects"
else
    ADD_KB=FAIL; FAILED+=(add-bytes); tail -5 "$WORK/logs/add-bytes.log" >&2
fi
limit_row "objects written by one crm add" "$ADD_KB" KB 64
reset_fixture

# Bulk reassign of everything one person owns vs grep + sed + commit.
N_MOVE=$FIXTURE_BIG_OWNER_COUNT
measure reassign crm "git reset -q --hard $FIXTURE_HEAD" \
    "$CRM reassign --from $FIXTURE_BIG_OWNER --to $FIXTURE_REASSIGN_TO --reason 'bench: territory change' --yes --no-sign --quiet"; A=$MEDIAN
measure reassign-git base "git reset -q --hard $FIXTURE_HEAD" \
    "git grep -l 'owner = \"$FIXTURE_BIG_OWNER\"' -- customers | xargs sed -i 's/^owner = \"$FIXTURE_BIG_OWNER\"\$/owner = \"$FIXTURE_REASSIGN_TO\"/' && git commit -qam 'reassign $N_MOVE customers'"; B=$MEDIAN
row "crm reassign --from (moves $N_MOVE customers)" "$A" "$B" 1.0
REASSIGN_PLAIN=$A
reset_fixture
fi
if [ "$ONLY" != pool ]; then
measure show crm "" "$CRM show $FIXTURE_LOG_ID"; SHOW_PLAIN=$MEDIAN
measure export crm "" "$CRM export >/dev/null"; EXPORT_PLAIN=$MEDIAN
reset_fixture
fi

if [ "$ONLY" != sealed ]; then
# The pool's nightly release: crm.toml gets a [pool] whose no-touch rule
# makes the FIXTURE_POOL_DUE customers longest without a touch due (no
# exempt tiers), and those customers go (by a reassign, in the preparation)
# to a new rep, bench.pool, who owns nothing else; then `crm pool release
# --due` releases them in one commit, against `crm reassign --from
# bench.pool` moving the same customers in one commit. Both start from the
# same state, the catalog cache up to date (as the preparation's reassign
# leaves it, and a cron job's clone keeps it), and nothing of the
# preparation's writes left for the disk to flush during the run (sync).
POOL_BASE="git reset -q --hard $FIXTURE_HEAD && printf '\n[pool]\nrelease_after_days = %s\nexempt_tiers = []\n' $FIXTURE_POOL_DAYS >>crm.toml && printf 'name = \"Bench Pool\"\nemail = \"bench.pool@bench.invalid\"\nrole = \"rep\"\n' >staff/bench.pool.toml && git add staff/bench.pool.toml && git commit -qam 'bench: the pool'"
bash -c "$POOL_BASE"
"$CRM" pool release --due --dry-run --format csv 2>/dev/null | tail -n +2 | cut -d, -f1 >"$WORK/pool-due.txt" || true
N_POOL=$(wc -l <"$WORK/pool-due.txt")
POOL_PREP="$POOL_BASE && $CRM reassign \$(cat $WORK/pool-due.txt) --to bench.pool --reason 'bench: the due customers' --yes --no-sign --quiet && sync"
measure_pair pool-release pool-reassign "$POOL_PREP" "$CRM pool release --due --yes --no-sign --quiet" \
    "$CRM reassign --from bench.pool --to $FIXTURE_REASSIGN_TO --reason 'bench: the same customers' --yes --no-sign --quiet"
row "crm pool release --due (releases $N_POOL customers) vs crm reassign --from of the same" "$MEDIAN_A" "$MEDIAN_B" 1.0
reset_fixture
fi

# -- sealed ----------------------------------------------------------------------

if [ "$ONLY" != pool ]; then
# The same fixture sealed by `crm seal` (one commit, as an admin would), in a
# copy; the rows compare it with the unsealed runs above. The admin opens
# with their own key (CRM_IDENTITY), as on their machine.
SEALED=$TARGET/bench-sealed-$MODE
rm -rf "$SEALED" "$WORK/recovery" "$WORK/recovery.pub"
cp -a "$FIX" "$SEALED"
ssh-keygen -q -t ed25519 -N '' -C bench-recovery -f "$WORK/recovery"
cd "$SEALED"
T0=$(date +%s.%N)
if $CRM seal --recovery-key "$WORK/recovery.pub" --no-sign --quiet >"$WORK/logs/seal.log" 2>&1; then
    SEAL_SECS=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
else
    SEAL_SECS=FAIL; FAILED+=(seal); tail -5 "$WORK/logs/seal.log" >&2
fi
say "  seal: $SEAL_SECS s"
SEALED_HEAD=$(git rev-parse HEAD)
export CRM_IDENTITY=$FIXTURE_KEYS_DIR/$FIXTURE_ADMIN
info_row "crm seal (an unsealed store of $FIXTURE_CUSTOMERS customers, one commit)" "$SEAL_SECS" -
"$CRM" log "$FIXTURE_LOG_ID" >/dev/null 2>&1 || true
measure sealed-show crm "" "$CRM show $FIXTURE_LOG_ID"; A=$MEDIAN
row "sealed: crm show ID by the admin (vs unsealed crm show)" "$A" "$SHOW_PLAIN" 1.5
# The two checks run alternately (measure_pair), as the pool row's commands:
# the unsealed check of the table's first row ran minutes earlier, and a
# shared machine's drift in between would fall on one side of the ratio.
measure_pair sealed-check check-unsealed "" "$CRM check" "$CRM -C $FIX check"
row "sealed: crm check, no key (vs unsealed crm check)" "$MEDIAN_A" "$MEDIAN_B" 1.2
measure sealed-export crm "" "$CRM export >/dev/null"; A=$MEDIAN
row "sealed: crm export of every customer by the admin (vs unsealed)" "$A" "$EXPORT_PLAIN" 3.0
measure sealed-reassign crm "git reset -q --hard $SEALED_HEAD" \
    "$CRM reassign --from $FIXTURE_BIG_OWNER --to $FIXTURE_REASSIGN_TO --reason 'bench: territory change' --yes --no-sign --quiet"; A=$MEDIAN
row "sealed: crm reassign --from, $N_MOVE customers rotated (vs unsealed)" "$A" "$REASSIGN_PLAIN" 2.0
# staff leave of the manager of the largest region: every customer of the
# region re-sealed, in one commit.
git reset -q --hard "$SEALED_HEAD"
MANAGER=$(grep -l '^role = "manager"' staff/*.toml | head -1 | xargs basename | sed 's/\.toml$//')
MANAGER_REGION=$(sed -n 's/^region = "\(.*\)"$/\1/p' "staff/$MANAGER.toml")
REGION_N=$($CRM list --region "$MANAGER_REGION" --format csv | tail -n +2 | wc -l)
measure sealed-leave crm "git reset -q --hard $SEALED_HEAD" \
    "$CRM staff leave $MANAGER --reason 'bench: manager leaves' --yes --no-sign --quiet"; A=$MEDIAN
LEAVE_COMMITS=$(git rev-list --count "$SEALED_HEAD"..HEAD 2>/dev/null || echo FAIL)
LEAVE_FILES=$(git diff --name-only "$SEALED_HEAD" HEAD -- customers | wc -l)
info_row "sealed: crm staff leave of a manager ($MANAGER_REGION: $REGION_N customers; $LEAVE_FILES re-sealed in $LEAVE_COMMITS commit)" "$A" -
unset CRM_IDENTITY
cd "$ROOT"
rm -rf "$SEALED"
fi

if [ -z "$ONLY" ]; then
info_row "crm import csv ($IMPORT_ROWS rows)" "$IMPORT_A" "$IMPORT_B"
RATE=FAIL
[ "$IMPORT_A" != FAIL ] && RATE=$(awk -v n="$IMPORT_ROWS" -v s="$IMPORT_A" 'BEGIN { printf "%.0f", n / s }')
floor_row "  import rows per second" "$RATE" rows/s 20000
fi

# -- scaling -------------------------------------------------------------------

SCALE_ROWS=()
if [ "$MODE" = full ] && [ "$SCALING" = 1 ]; then
    MAIN_ENV=$FIX/.git/bench-fixture.env
    for n in 10000 30000; do
        fixture "$((n / 1000))k" --customers "$n" --commits "$n" --staff 300 --regions 8
        cd "$FIX"
        measure "scale-$n-check" crm "" "$CRM check"; C1=$MEDIAN
        measure "scale-$n-floor" base "" "git ls-files -z customers | xargs -0 cat >/dev/null"; F1=$MEDIAN
        "$CRM" report handover --since 7d >/dev/null 2>&1 || true
        measure "scale-$n-report" crm "" "$CRM report handover --since 7d"; R1=$MEDIAN
        SCALE_ROWS+=("$n|$n|$(fmt_secs "$C1")|$(fmt_secs "$F1")|$(fmt_secs "$R1")")
        cd "$ROOT"
    done
    # shellcheck disable=SC1090
    . "$MAIN_ENV"
    SCALE_ROWS+=("$FIXTURE_CUSTOMERS|$FIXTURE_COMMITS|$(fmt_secs "$CHECK")|$(fmt_secs "$FLOOR")|$(fmt_secs "$REPORT")")
fi

# -- the table -----------------------------------------------------------------

{
    echo
    echo "fixture: $MAIN_GEN_LINE"
    echo
    print_table
    if [ ${#SCALE_ROWS[@]} -gt 0 ]; then
        echo
        echo "scaling (medians): customers | commits | crm check | check floor | crm report handover (warm)"
        for r in "${SCALE_ROWS[@]}"; do echo "  ${r//|/ | }"; done
    fi
} | tee "$WORK/results.txt"

rm -rf "$WORK/import-old"
if [ ${#FAILED[@]} -gt 0 ]; then
    say "crm failed in: ${FAILED[*]} (logs in $WORK/logs)"
    exit 1
fi
