-- Recovery codes are now stored as HMAC-SHA256 under a key kept encrypted in settings
-- (recovery_code_key). Rows written before hold a plain SHA-256: they stay usable (keyed = FALSE)
-- until the person confirms a new authenticator or regenerates their codes.
ALTER TABLE recovery_codes ADD COLUMN keyed BOOLEAN NOT NULL DEFAULT FALSE;
