-- The sent box: an agency's documents newest first, read by keyset on seq.
-- The inbox walks deliveries_inbox (recipient, seq) the same way.
CREATE INDEX documents_from_seq ON documents (from_code, seq);
