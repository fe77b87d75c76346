-- Recording a submission's audit log indexes finds its events by receipt id
-- (SetLogIndexes); without an index that was a scan of every event ever
-- recorded, on every submission.

CREATE INDEX events_receipt ON events (receipt_id);
