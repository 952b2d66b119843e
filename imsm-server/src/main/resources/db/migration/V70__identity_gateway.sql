-- Identity gateway (issue 12): registered domain controllers with their DC-DDO, the subjects they
-- decide, the credentials issued to holders, and the JWT ids already used (replay protection).
CREATE TABLE gateway_domain_controllers (
    did         VARCHAR(80)   PRIMARY KEY,               -- did:nv: + 64 hex
    controller  VARCHAR(42)   NOT NULL,                  -- lower-case 0x address of the domain account
    name        VARCHAR(200)  NOT NULL,
    ddo         VARCHAR(200000) NOT NULL,                 -- the DC-DDO as published (JSON)
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by  VARCHAR(80)   NOT NULL
);

-- A subject (service agreement id) is decided by exactly one domain controller.
CREATE TABLE gateway_subjects (
    subject     VARCHAR(128)  PRIMARY KEY,
    did         VARCHAR(80)   NOT NULL REFERENCES gateway_domain_controllers (did)
);

CREATE TABLE gateway_credentials (
    jti         VARCHAR(64)   PRIMARY KEY,
    subject     VARCHAR(128)  NOT NULL,
    holder      VARCHAR(42)   NOT NULL,                  -- lower-case 0x address
    did         VARCHAR(80)   NOT NULL,
    issued_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at  TIMESTAMP WITH TIME ZONE
);
CREATE INDEX gateway_credentials_subject ON gateway_credentials (subject);
CREATE INDEX gateway_credentials_expires_at ON gateway_credentials (expires_at);

-- Holder and controller JWTs seen: key = hex SHA-256 of iss and jti; a row lives until the JWT expires.
CREATE TABLE gateway_seen_jwts (
    id          VARCHAR(64)   PRIMARY KEY,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX gateway_seen_jwts_expires_at ON gateway_seen_jwts (expires_at);
