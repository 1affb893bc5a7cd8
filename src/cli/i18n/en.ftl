# crm's reports in English: every word the reports (handover, portfolio,
# digest), their mail and the agenda show. Message ids are shared with
# zh-CN.ftl; a test checks that both files have the same ones.
# Columns: `col-` and the English header in kebab case.

## The handover report

handover-heading = Handover report — { $company } — { $since } to { $until } (as of { $today })
handover-title = Handover report — { $company } — { $since } to { $until }
handover-as-of = As of { $today }. Values in { $currency }.

handover-footer = Made by crm report handover on { $today }.
summary-title = At a glance
summary-unreadable = unreadable files left out
summary-pending = pending handovers
summary-overdue = overdue
summary-changes = ownership changes
summary-unacknowledged = unacknowledged
summary-no-backup = key accounts without backup
summary-sabotage = sabotage signals
summary-self-assigned = self-assignments by managers
summary-needs-action = needs action
md-summary-item = **{ $count }** { $label }

section-unreadable = 0. Unreadable files (left out of every section below)
section-pool-released = 9a. Released to the pool in the period
section-pool-claimed = 9b. Claimed or assigned from the pool in the period
section-pool-limits = 9c. Pool limits reached
section-pool-bouncing = 9d. Back and forth between the pool and reps (released twice or more in 90 days)
section-pool-oldest = 9e. Longest in the pool
section-pending = 1. Pending handovers
section-changes = 2. Ownership changes in the period
section-self-assigned = 2b. Customers managers gave to themselves
section-unacknowledged = 3. Unacknowledged handovers
section-no-backup = 4. Key accounts without a valid backup
section-stale = 5a. Stale relationships
section-coverage = 5b. Coverage (customers touched in the last { $days } days)
section-concentration = 6. Concentration
section-exposure = 7. Exposure if a whole region left at once
section-sabotage = 8. Sabotage signals
section-touches-for-others = 8b. Touches logged in someone else's name

empty-unreadable = Every file could be read.
empty-pool-released = No customer went to the pool.
empty-pool-claimed = No customer was taken from the pool.
empty-pool-limits = Nobody is at the claim limit or the cap on customers owned.
empty-pool-bouncing = No customer went to the pool twice.
empty-pool-oldest = The pool is empty.
pool-of-limit = { $count } of { $limit }
pool-reason-no-touch = no touch
pool-due-by-rules = due by the pool's rules
pool-reason-unconverted = unconverted
pool-reason-manual = released by hand
pool-reason-returned = returned by its owner
empty-pending = No departed person still owns customers.
empty-changes = No ownership changes.
empty-self-assigned = No manager gave a customer to themselves.
empty-unacknowledged = Every recent handover has been followed up by its new owner.
empty-no-backup = Every key account has an active backup.
empty-stale = No stale relationships.
empty-customers = No customers.
empty-exposure = No region has active staff.
empty-sabotage = No mass contact changes or deleted customers.
empty-touches-for-others = Every touch was logged by its author.

pending-no-last-day = OVERDUE (no last day recorded)
pending-overdue = OVERDUE by { $days } days
pending-days-left = { $days } days left
flag-above-limit = ABOVE LIMIT
never = never
list-and-more = { $list } and { $count } more
no-region = (none)
share-owner = owner
share-region = region

backup-missing = missing
backup-same-as-owner = same as owner
backup-departed = departed
backup-unknown = unknown

signature-good = good
signature-none = none
signature-bad = bad
signature-unknown-key = unknown key
signature-revoked = revoked

action-add = add
action-reassign = reassign
action-remove = remove
action-release = release
action-claim = claim
action-assign = assign

status-active = active
status-departed = departed
status-pool = pool
status-unknown = unknown

chart-value-per-owner = Customer value per owner
chart-changes-per-week = Ownership changes per week

warning-title = Read this first: something is wrong with what this report is based on

## Mail

mail-subject-handover = Handover report — { $company } — { $until }: { $overdue } overdue, { $unacknowledged } unacknowledged, { $pending } pending
mail-subject-warning = WARNING, read first:

## Columns

col-action = action
col-actor = actor
col-backup = backup
col-by = by
col-claimed = claimed
col-claimed-in-the-claim-period = claimed in the claim period
col-commit = commit
col-commits = commits
col-contacts-changed = contacts changed
col-coverage = coverage
col-customer = customer
col-customers = customers
col-customers-orphaned = customers orphaned
col-customers-removed = customers removed
col-date = date
col-days = days
col-days-without-a-touch = days without a touch
col-deadline = deadline
col-due = due
col-file = file
col-held-by-now = held by now
col-flag = flag
col-from = from
col-handed-over = handed over
col-key = key
col-key-accounts = key accounts
col-kind = kind
col-last-touch = last touch
col-left = left
col-logged-by = logged by
col-name = name
col-new-owner = new owner
col-next-step = next step
col-owned = owned
col-owner = owner
col-people = people
col-person = person
col-position = line:column
col-problem = problem
col-released = released
col-released-from = released from
col-releases = releases
col-reason = reason
col-region = region
col-share-of-key = share of key
col-share-of-value = share of value
col-signature = signature
col-stale = stale
col-status = status
col-still-owns = still owns
col-to = to
col-touch-by = touch by
col-touched = touched
col-value = value
col-which = which
col-why = why

## Agenda and digest

kind-overdue = overdue
kind-release = release
kind-handover = handover
kind-due = due
kind-stale = stale

why-separator = {"; "}
why-overdue = { $days ->
    [one] 1 day overdue
   *[other] { $days } days overdue
}
why-due-today = due today
why-due-tomorrow = due tomorrow
why-due-in = due in { $days } days
when-today = today
when-yesterday = yesterday
when-days-ago = { $days } days ago
when-tonight = tonight
when-tomorrow-night = tomorrow night
when-in-days = in { $days } days
why-release-touch = goes to the pool { $when } unless touched
why-release-convert = goes to the pool { $when } unless converted
why-manager-touch = goes to { $to } instead of the pool { $when } unless touched
why-manager-convert = goes to { $to } instead of the pool { $when } unless converted
why-handover-from = handed over from { $from } { $when }, not touched since
why-assigned-from-pool = assigned to you from the pool { $when }, not touched since
why-handover = handed over { $when }, not touched since
why-no-touch = { $days ->
    [one] no touch for 1 day
   *[other] no touch for { $days } days
}
why-never-touched-in = { $days ->
    [one] never touched in 1 day
   *[other] never touched in { $days } days
}
why-never-touched = never touched
why-key-account = key account, { $why }

digest-title = { $name } ({ $person }): your list for { $today }
digest-as-of = Most urgent first. "Due" means by { $until }.
digest-section-overdue = Overdue next steps
digest-section-release = To be taken back unless you act
digest-section-handover = Handovers to acknowledge
digest-section-due = Next steps due by { $until }
digest-section-stale = Stale accounts
digest-count-overdue = overdue
digest-count-release = to be taken back
digest-count-handover = handovers to acknowledge
digest-count-due = due by { $until }
digest-count-stale = stale accounts
digest-nothing = Nothing on your list: no next step overdue or due by { $until }, no handover to acknowledge, no stale account.
digest-more-stale = …and { $count } more stale accounts: crm agenda --for { $person }
digest-footer = Made by crm report digest on { $today }. The whole list: crm agenda --for { $person }
mail-subject-digest = Your list for { $today }: { $overdue } overdue, { $handovers } to acknowledge, { $due } due, { $stale } stale
mail-subject-digest-release = Your list for { $today }: { $release } to be taken back, { $overdue } overdue, { $handovers } to acknowledge, { $due } due, { $stale } stale

agenda-nothing = Nothing on the agenda of { $person } ({ $name }): no next step overdue or due by { $until }, no handover to follow up, no stale relationship.
agenda-summary = { $name } ({ $person }) on { $today }: { $overdue } overdue, { $handovers } handover(s) to follow up, { $due } due by { $until }, { $stale } stale
agenda-summary-release = { $name } ({ $person }) on { $today }: { $release } to be taken back, { $overdue } overdue, { $handovers } handover(s) to follow up, { $due } due by { $until }, { $stale } stale
