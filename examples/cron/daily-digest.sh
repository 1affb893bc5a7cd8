#!/usr/bin/env bash
# Each person's own list, mailed to them every working morning: next steps
# overdue and due this week, customers handed over to them that they have
# not touched yet, stale accounts (what `crm agenda` shows them). People
# with nothing on their list get no mail.
#
# crontab (Monday to Friday 07:00, as a user who can read the customer
# repository and run sendmail; cron mails a failure of the job to MAILTO):
#   MAILTO=crm-admin@example.com
#   0 7 * * 1-5  /opt/crm/daily-digest.sh /srv/crm/customers
#
# `crm report digest --each --mail --out DIR` writes one whole message per
# person (DIR/HANDLE.eml: To their e-mail in staff/, From `[report] from`
# in crm.toml, in `[report] lang`), and each goes through `sendmail -t`
# (SENDMAIL="msmtp -t" for msmtp). A message that cannot be sent is named
# on stderr and the others still go.
#
# Environment: CRM (the crm binary), SENDMAIL (default "sendmail -t"),
# WITHIN (how far ahead a next step is due; default 7d).
set -uo pipefail

store=${1:?usage: daily-digest.sh STORE_DIR}
crm=${CRM:-crm}
sendmail=${SENDMAIL:-sendmail -t}
within=${WITHIN:-7d}

git -C "$store" pull --quiet --ff-only || echo "warning: could not update $store; the lists show the local copy" >&2

out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
"$crm" -C "$store" --quiet report digest --each --within "$within" --mail --out "$out"
status=$?
# Exit 1: the lists are whole but for files crm could not read (named on
# stderr): send them. Anything else: nothing to send.
[ "$status" -gt 1 ] && exit "$status"

for message in "$out"/*.eml; do
    [ -e "$message" ] || continue
    # shellcheck disable=SC2086 # SENDMAIL is a command with its arguments
    if ! $sendmail <"$message"; then
        echo "error: could not send $(basename "$message" .eml)'s list" >&2
        status=1
    fi
done
exit "$status"
