-- Up Migration

-- The class of the error a failed fetch threw (LayoutChangedError,
-- TransientError, …): alerts tell a changed page layout, which needs a parser
-- fix, from an upstream outage, which passes. Older failed rows keep null:
-- their class was not recorded and guessing it from the message would lie.
alter table digest_fetches add column error_class text;

-- Down Migration
alter table digest_fetches drop column error_class;
