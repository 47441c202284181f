-- Partner clients are declared in the org file or created through the admin API. The org
-- file deactivates only the clients it manages; the API changes only the ones it created.
ALTER TABLE identity_clients ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'file';
