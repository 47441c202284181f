-- What a bill carried besides its amount (line items, tenders, notes, delivery status,
-- extended and custom fields), kept as the JSON document the transactions API echoes.
-- NOT_INTERESTED bills have no customer: their customer_id is 0.
ALTER TABLE loyalty_transactions ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
