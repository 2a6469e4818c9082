-- Up Migration

-- The dashboard's status page reads the audit trail on every view: the latest
-- good fetch of each kind, and the latest failures. With these partial
-- indexes each is a short index scan however long the trail grows (the
-- digest index leads with source and key, so it cannot serve either).
create index digest_fetches_good_by_kind on digest_fetches (kind, fetched_at desc)
  where outcome <> 'failed' and reparse_of is null;
create index digest_fetches_failed on digest_fetches (fetched_at desc) where outcome = 'failed';

-- Down Migration
drop index digest_fetches_failed;
drop index digest_fetches_good_by_kind;
