#!/usr/bin/env bash
# Weekly handover report for managers, mailed as HTML (with a plain-text
# part) when action is needed, or when what the pull brought fails
# verification.
#
# crontab (Mondays 07:30, as a user who can read the customer repository
# and run sendmail; cron mails a failure of the job itself to MAILTO):
#   MAILTO=crm-admin@example.com
#   30 7 * * 1  /opt/crm/weekly-handover-report.sh /srv/crm/customers
#
# 1. It notes HEAD, pulls, and runs `crm verify OLD..NEW` on the commits the
#    pull brought. A report must never present a tampered history as fact:
#    whatever verify found (or why the clone could not be updated) goes at
#    the top of the managers' mail (--warning-file; WARNING in the subject),
#    and then the mail goes out even when nothing else needs doing.
# 2. `crm report handover --mail --fail-on …` writes the whole message: To
#    the active managers and admins in staff/, From `[report] from` in
#    crm.toml, in `[report] lang`. Exit 1 (a named section has entries):
#    it is mailed. Exit 0: nothing needs doing, no mail.
# 3. `sendmail -t` sends it (SENDMAIL="msmtp -t" for msmtp). Any other
#    failure is printed on stderr and the job exits non-zero.
#
# Environment: CRM (the crm binary), SENDMAIL (default "sendmail -t"),
# FAIL_ON (default overdue,pending,unacknowledged,no-backup,sabotage),
# SINCE (default 7d).
set -uo pipefail

store=${1:?usage: weekly-handover-report.sh STORE_DIR}
crm=${CRM:-crm}
sendmail=${SENDMAIL:-sendmail -t}
fail_on=${FAIL_ON:-overdue,pending,unacknowledged,no-backup,sabotage}
since=${SINCE:-7d}

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
warning=$work/warning.txt
: >"$warning"

old=$(git -C "$store" rev-parse -q --verify HEAD) || { echo "error: $store has no commits to report on" >&2; exit 2; }
if ! git -C "$store" pull --quiet --ff-only >"$work/pull.txt" 2>&1; then
    {
        echo "git pull in $store failed: this report shows the clone as it was before, and the server's"
        echo "history may have been rewritten. What git said:"
        cat "$work/pull.txt"
        echo
    } >>"$warning"
fi
new=$(git -C "$store" rev-parse HEAD)
if [ "$old" != "$new" ]; then
    "$crm" -C "$store" verify "$old..$new" >"$work/verify.txt" 2>&1
    status=$?
    if [ "$status" -ne 0 ]; then
        {
            echo "crm verify $old..$new (the commits this week's pull brought) exited $status:"
            echo "the history this report is built on breaks the store's rules and may have been tampered with."
            cat "$work/verify.txt"
        } >>"$warning"
    fi
fi

"$crm" -C "$store" report handover --since "$since" --mail --fail-on "$fail_on" --warning-file "$warning" \
    >"$work/message.eml" 2>"$work/report.txt"
status=$?
case $status in
    0) [ -s "$warning" ] || exit 0 ;; # nothing needs doing, and nothing is wrong
    1) ;;                             # action needed (or files crm could not read: named in the report)
    *)
        echo "error: crm report handover exited $status:" >&2
        cat "$work/report.txt" >&2
        exit "$status"
        ;;
esac
# shellcheck disable=SC2086 # SENDMAIL is a command with its arguments
$sendmail <"$work/message.eml"
