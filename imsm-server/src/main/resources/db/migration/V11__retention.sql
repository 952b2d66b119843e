-- Retention (issue 6): what the housekeeping deletes must be found without a full scan, and the shared
-- rate-limit buckets get Bucket4j's expiry column so rows of refilled buckets can be deleted.
ALTER TABLE rate_limit_buckets ADD COLUMN expires_at BIGINT;
CREATE INDEX rate_limit_buckets_expires_at ON rate_limit_buckets (expires_at);
CREATE INDEX invites_expires_at ON invites (expires_at);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);
