-- The coupon an approved goodwill COUPON request issued.
ALTER TABLE loyalty_goodwill_requests ADD COLUMN coupon_id BIGINT;
