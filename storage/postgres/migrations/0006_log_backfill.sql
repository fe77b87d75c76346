-- Events whose audit log append failed after their commit are appended
-- later by a backfill; log_claimed_until is its lease, so that replicas do
-- not append the same event twice while one of them works on it.

ALTER TABLE events ADD COLUMN log_claimed_until timestamptz;

CREATE INDEX events_unlogged ON events (seq) WHERE log_index IS NULL;
