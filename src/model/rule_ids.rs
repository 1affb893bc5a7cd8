//! The ids of the rules `crm check` and `crm verify` report, as closed
//! sets: a finding can only name a rule that exists, and each id printed,
//! filtered on in CI and listed in the README is spelled in one place. The
//! ids are a public contract; never rename one.

use super::named::named_enum;

named_enum! {
    /// A rule of `crm check` (and of the tree shape `crm verify` judges).
    CheckRule("rule") {
        TomlSyntax = "toml-syntax",
        InvalidUtf8 = "invalid-utf8",
        InvalidDate = "invalid-date",
        WrongType = "wrong-type",
        MissingKey = "missing-key",
        InvalidValue = "invalid-value",
        MissingConfig = "missing-config",
        InvalidId = "invalid-id",
        InvalidHandle = "invalid-handle",
        WrongShard = "wrong-shard",
        MisplacedFile = "misplaced-file",
        DuplicateId = "duplicate-id",
        MalformedTree = "malformed-tree",
        NotAFile = "not-a-file",
        FileTooLarge = "file-too-large",
        UnknownPerson = "unknown-person",
        HandoverOverdue = "handover-overdue",
        KeyWithoutBackup = "key-without-backup",
        UnknownTier = "unknown-tier",
        UnknownRegion = "unknown-region",
        UnknownStatus = "unknown-status",
        UnknownKind = "unknown-kind",
        SharedKey = "shared-key",
        InvalidStaff = "invalid-staff",
        PoolFields = "pool-fields",
        UnknownKey = "unknown-key",
        HandoverPending = "handover-pending",
        OwnerConcentration = "owner-concentration",
        StaleRelationship = "stale-relationship",
        SingleThreaded = "single-threaded",
        StrayFile = "stray-file",
        SealRecipients = "seal-recipients",
        SealClearValue = "seal-clear-value",
        SealMalformed = "seal-malformed",
        SealUnopenable = "seal-unopenable",
        SealNoKey = "seal-no-key",
    }
}

named_enum! {
    /// A rule of `crm verify` about history: signatures, authorisation and refs.
    VerifyRule("rule") {
        Unsigned = "unsigned",
        BadSignature = "bad-signature",
        UnknownKey = "unknown-key",
        SignerDeparted = "signer-departed",
        UnknownActor = "unknown-actor",
        SettingsUnauthorized = "settings-unauthorized",
        AddForOther = "add-for-other",
        ReassignUnauthorized = "reassign-unauthorized",
        EditUnauthorized = "edit-unauthorized",
        RemoveUnauthorized = "remove-unauthorized",
        ActorDeparted = "actor-departed",
        TouchHistoryRewritten = "touch-history-rewritten",
        ForgeMergeChanges = "forge-merge-changes",
        ForgeCommit = "forge-commit",
        SecondGenesis = "second-genesis",
        UnreadableRecord = "unreadable-record",
        RevokedKey = "revoked-key",
        OutOfRegion = "out-of-region",
        TouchForged = "touch-forged",
        UnknownPerson = "unknown-person",
        AssignToDeparted = "assign-to-departed",
        ProtectedPath = "protected-path",
        MergeUnapproved = "merge-unapproved",
        ReplaceRef = "replace-ref",
        ProtectedBranchDeleted = "protected-branch-deleted",
        NonFastForward = "non-fast-forward",
        DatedAhead = "dated-ahead",
        DatedBehind = "dated-behind",
        NotACommit = "not-a-commit",
        ForeignRoot = "foreign-root",
        SealNotRotated = "seal-not-rotated",
        RingChanged = "seal-ring-changed",
        RingStranger = "seal-ring-stranger",
        ServiceNotPermitted = "service-not-permitted",
        ReleaseUnauthorized = "release-unauthorized",
        ReleaseNotDue = "release-not-due",
        ClaimNotInPool = "claim-not-in-pool",
        ClaimUnauthorized = "claim-unauthorized",
        ClaimOutOfRegion = "claim-out-of-region",
        ClaimCooldown = "claim-cooldown",
        ClaimLimit = "claim-limit",
        ClaimHandedOn = "claim-handed-on",
        SinceMoved = "since-moved",
        PoolFieldChanged = "pool-field-changed",
        OwnedCap = "owned-cap",
        LockUnauthorized = "lock-unauthorized",
        PoolRecord = "pool-record",
        AssignToService = "assign-to-service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_parse_back() {
        let check = CheckRule::ALL.iter().map(|r| (r.id(), CheckRule::parse(r.id()).map(CheckRule::id)));
        let verify = VerifyRule::ALL.iter().map(|r| (r.id(), VerifyRule::parse(r.id()).map(VerifyRule::id)));
        for ids in [check.collect::<Vec<_>>(), verify.collect()] {
            let mut seen = std::collections::BTreeSet::new();
            for (id, parsed) in ids {
                assert!(seen.insert(id), "{id} twice");
                assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{id}");
                assert_eq!(parsed, Some(id));
            }
        }
        assert_eq!(CheckRule::parse("no-such-rule"), None);
        assert_eq!(VerifyRule::parse("wrong-shard"), None);
    }
}
