-- The console's dashboard counts messages sent and failed over the last days and lists the
-- latest failures, both by (status, updated_at). Without this index both read every sent row
-- through outbox_due (40,000 rows for 10,000 sessions in the console benchmark) and sorted
-- them; with it, the count reads the index alone over its days, the failures in order.
CREATE INDEX outbox_by_update ON outbox (status, updated_at, id);
