-- IMSM as an OAuth 2 / OpenID Connect provider (docs/oauth.md).

-- Signing-key rotation: a key is 'next' (published, signs nothing yet), then 'active', then
-- 'retired' (published until publish_until, when the longest-lived token it signed has expired).
ALTER TABLE signing_keys ADD COLUMN publish_until TIMESTAMP WITH TIME ZONE;

-- Registered clients: the registration as a JSON document, the secrets only as SHA-256 of 256 random bits.
CREATE TABLE oauth_clients (
    client_id            VARCHAR(64)   PRIMARY KEY,
    document             VARCHAR(20000) NOT NULL,
    secret_hash          VARCHAR(64),
    previous_secret_hash VARCHAR(64),
    previous_secret_until TIMESTAMP WITH TIME ZONE,
    created_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at           TIMESTAMP WITH TIME ZONE NOT NULL
);

-- A refresh-token family: every refresh token and access token from one grant. Bound to the browser
-- session the person logged in with, so it ends with that session (logout, password change, expiry).
CREATE TABLE oauth_families (
    family_id       VARCHAR(40)   PRIMARY KEY,
    client_id       VARCHAR(64)   NOT NULL,
    user_id         VARCHAR(40),
    browser_session VARCHAR(64),                   -- browser_sessions.id_hash
    scope           VARCHAR(2000) NOT NULL,
    auth_time       TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at      TIMESTAMP WITH TIME ZONE,
    revoked_reason  VARCHAR(64)
);
CREATE INDEX oauth_families_user ON oauth_families (user_id);

CREATE TABLE oauth_refresh_tokens (
    token_hash VARCHAR(64)  PRIMARY KEY,
    family_id  VARCHAR(40)  NOT NULL REFERENCES oauth_families (family_id),
    issued_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);

-- Authorization codes (RFC 6749 §4.1) and device codes (RFC 8628): single use, short-lived.
CREATE TABLE oauth_codes (
    code_hash       VARCHAR(64)   PRIMARY KEY,
    client_id       VARCHAR(64)   NOT NULL,
    user_id         VARCHAR(40)   NOT NULL,
    browser_session VARCHAR(64)   NOT NULL,
    redirect_uri    VARCHAR(2000) NOT NULL,
    code_challenge  VARCHAR(128)  NOT NULL,
    scope           VARCHAR(2000) NOT NULL,
    nonce           VARCHAR(500),
    auth_time       TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at         TIMESTAMP WITH TIME ZONE,
    family_id       VARCHAR(40)
);

CREATE TABLE oauth_device_codes (
    device_code_hash VARCHAR(64)   PRIMARY KEY,
    user_code        VARCHAR(16)   NOT NULL UNIQUE,
    client_id        VARCHAR(64)   NOT NULL,
    scope            VARCHAR(2000) NOT NULL,
    expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    status           VARCHAR(16)   NOT NULL,          -- pending | approved | denied | used
    user_id          VARCHAR(40),
    browser_session  VARCHAR(64),
    auth_time        TIMESTAMP WITH TIME ZONE,
    last_poll        TIMESTAMP WITH TIME ZONE
);

-- Revoked access tokens (RFC 7009) until they expire anyway, and client-assertion jti values
-- (private_key_jwt replay protection, RFC 7523 §3 item 7) until the assertion expires.
CREATE TABLE oauth_revoked_jtis (
    jti        VARCHAR(128) PRIMARY KEY,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE TABLE oauth_assertion_jtis (
    jti_key    VARCHAR(64)  PRIMARY KEY,              -- SHA-256 of client_id and jti
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
