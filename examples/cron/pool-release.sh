#!/usr/bin/env bash
# Nightly release of due customers to the pool (公海), signed by the
# store's service identity, then pushed.
#
# crontab (02:15 every night, as the user that owns the job's clone):
#   15 2 * * *  /opt/crm/pool-release.sh /srv/crm/pool-job
#
# Set up once:
#   ssh-keygen -t ed25519 -N '' -C crm-pool -f /srv/crm/pool_ed25519
#   crm staff add crm-pool --name "Pool job" --email crm-pool@example.com \
#       --role service --key "$(cat /srv/crm/pool_ed25519.pub)"      # an admin, in their clone
#   git clone git@git.example.com:sales/customers.git /srv/crm/pool-job
#   cd /srv/crm/pool-job
#   git config user.name "Pool job" && git config user.email crm-pool@example.com
#   git config gpg.format ssh && git config commit.gpgsign true
#   git config user.signingkey /srv/crm/pool_ed25519.pub
#   # In a sealed store only: releasing widens who reads a customer, which
#   # needs its data key; the job opens with the recovery key, its secret:
#   git config crm.identity /srv/crm/recovery_ed25519
#
# The clone is the job's own: each run starts from the remote's branch
# (whatever an earlier run left unpushed is dropped), releases what the
# rules in crm.toml make due today (`crm pool release --due`: one commit,
# signed by the service key, which `crm verify` and the server's hook
# accept for due releases and nothing else), and pushes it with `crm
# sync`. Its summary and any warning (a due key account that stays, as its
# owner already receives such accounts) go to cron's mail; a failure exits
# non-zero.
set -euo pipefail

store=${1:?usage: pool-release.sh STORE_DIR}
crm=${CRM:-crm}
remote=${REMOTE:-origin}

branch=$(git -C "$store" symbolic-ref --short HEAD)
git -C "$store" fetch --quiet "$remote" "$branch"
git -C "$store" reset --quiet --hard FETCH_HEAD
"$crm" -C "$store" pool release --due --yes
"$crm" -C "$store" sync --quiet --remote "$remote"
