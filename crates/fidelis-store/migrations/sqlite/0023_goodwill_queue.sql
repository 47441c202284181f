-- The console's goodwill queue: an org's pending requests, oldest first.
CREATE INDEX loyalty_goodwill_pending ON loyalty_goodwill_requests (org_id, status, created_at, id);
