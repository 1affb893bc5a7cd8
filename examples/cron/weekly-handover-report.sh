#!/usr/bin/env bash
# Weekly handover report for managers, mailed only when action is needed.
#
# crontab (Mondays 07:30, as a user who can read the customer repository):
#   30 7 * * 1  /opt/crm/weekly-handover-report.sh /srv/crm/customers managers@example.com
#
# It updates the clone, builds the report for the last 7 days and mails the
# Markdown version when `crm report handover --fail-on …` exits 1 (a named
# section has entries). Exit 0 from crm means nothing needs doing: no mail.
# Any other exit code is an error and is mailed as such, so a broken job
# does not go unnoticed.
set -uo pipefail

store=${1:?usage: weekly-handover-report.sh STORE_DIR RECIPIENT}
to=${2:?usage: weekly-handover-report.sh STORE_DIR RECIPIENT}
crm=${CRM:-crm}
mail=${MAIL_COMMAND:-mail}
fail_on=${FAIL_ON:-overdue,pending,unacknowledged,no-backup,sabotage}

git -C "$store" pull --quiet --ff-only || echo "warning: could not update $store; reporting on the local copy" >&2

report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$crm" -C "$store" report handover --since 7d --format md --fail-on "$fail_on" >"$report" 2>&1
status=$?

case $status in
  0) exit 0 ;;   # nothing needs doing
  1) subject="[crm] Handover report: action needed ($(date +%F))" ;;
  *) subject="[crm] Handover report FAILED with exit $status ($(date +%F))" ;;
esac
"$mail" -s "$subject" "$to" <"$report"
