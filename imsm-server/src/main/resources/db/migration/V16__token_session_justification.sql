-- The justification a person gave for a token, shown with their live tokens so they can tell them
-- apart. When the service lists it in encrypted_claims, IMSM keeps no copy (only that there was one).
ALTER TABLE token_sessions ADD COLUMN justification VARCHAR(1000);
ALTER TABLE token_sessions ADD COLUMN justification_encrypted BOOLEAN DEFAULT FALSE NOT NULL;
