-- A service may offer 50 scopes of up to 64 characters (CatalogService), so a token's scope string
-- can reach 3,249 characters; V3 gave it 2,000 and such a request failed after the key exchange.
ALTER TABLE token_sessions ALTER COLUMN scope SET DATA TYPE VARCHAR(4000);
