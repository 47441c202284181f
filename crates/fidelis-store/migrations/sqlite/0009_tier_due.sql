-- The tier job's walk: members whose tier validity ends, in (validity end, customer,
-- program) order per org. Members of the lowest tier (no validity end) are left out.
CREATE INDEX loyalty_balances_tier_due
    ON loyalty_balances (org_id, tier_valid_until, customer_id, program_id)
    WHERE tier_valid_until IS NOT NULL;
