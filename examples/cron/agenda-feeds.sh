#!/usr/bin/env bash
# Calendar feeds: each active person's overdue and due next steps as an
# iCalendar file (OUTPUT_DIR/HANDLE.ics) that Outlook, Google or Apple
# Calendar, Feishu or DingTalk subscribe to, from any web server or share.
#
# crontab (every 30 minutes, as a user who can read the customer repository
# and write the output directory):
#   */30 * * * *  /opt/crm/agenda-feeds.sh /srv/crm/customers /var/www/crm-calendars
#
# Each feed is written to a temporary file and moved into place, so a
# calendar never reads half a feed, and only when its bytes changed: crm
# writes the same feed for the same commit (the events' DTSTAMP is the
# commit's time, so a new commit renews every feed that has events), and a
# quiet night or weekend leaves the web server's Last-Modified and ETag
# alone. WITHIN (default 1m) is how far ahead a feed reaches; overdue steps
# are always in it.
#
# The feeds name customers: publish them only where staff alone can read
# them (a web server with authentication, or a secret in each URL).
set -uo pipefail

store=${1:?usage: agenda-feeds.sh STORE_DIR OUTPUT_DIR}
out=${2:?usage: agenda-feeds.sh STORE_DIR OUTPUT_DIR}
crm=${CRM:-crm}
within=${WITHIN:-1m}

git -C "$store" pull --quiet --ff-only || echo "warning: could not update $store; publishing the local copy" >&2
mkdir -p "$out" || exit 1

failed=0
# The active staff: the first CSV column (handles hold no commas).
handles=$("$crm" -C "$store" staff list --format csv | tail -n +2 | cut -d, -f1) || exit 1
for handle in $handles; do
    tmp=$(mktemp "$out/.$handle.XXXXXX") || exit 1
    "$crm" -C "$store" agenda --for "$handle" --within "$within" --ics >"$tmp"
    status=$?
    # Exit 1: the feed is whole but for files crm could not read (named on
    # stderr); publish it and say so. Anything else: keep the old feed.
    if [ "$status" -gt 1 ]; then
        rm -f "$tmp"
        echo "error: no new feed for $handle (crm exited $status)" >&2
        failed=1
        continue
    fi
    [ "$status" -eq 1 ] && failed=1
    if cmp -s "$tmp" "$out/$handle.ics"; then
        rm -f "$tmp"
    else
        chmod 644 "$tmp" && mv -f "$tmp" "$out/$handle.ics"
    fi
done
exit "$failed"
