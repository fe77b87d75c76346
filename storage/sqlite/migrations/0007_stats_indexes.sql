-- Indexes for the exchange report (gateway/stats).
--
-- The report counts documents by submission time, for every agency or for
-- one sender; without these it reads the whole documents table, millions of
-- rows in a province.
CREATE INDEX documents_submitted ON documents (submitted_at);
CREATE INDEX documents_from_submitted ON documents (from_code, submitted_at);

-- For each delivery the report looks for one kind of event of one recipient
-- (pushed, retrieved, done): covered here instead of reading every event of
-- the document.
CREATE INDEX events_document_type ON events (document_id, type, recipient, at);
