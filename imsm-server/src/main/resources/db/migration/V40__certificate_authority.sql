-- IMSM's certificate authority for service identities (docs/pki.md).
-- The CA's signing key: the private key only as JWE under the key-encryption key.
CREATE TABLE ca_keys (
    id              VARCHAR(40)   PRIMARY KEY,
    certificate_pem VARCHAR(8000) NOT NULL,       -- the CA certificate IMSM signs with
    chain_pem       VARCHAR(16000) NOT NULL,      -- certificates above it (operator's root), may be empty
    private_key_enc VARCHAR(8000) NOT NULL,
    status          VARCHAR(16)   NOT NULL,       -- active | retired
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One-time join tokens: only their SHA-256 is stored.
CREATE TABLE join_tokens (
    token_hash  VARCHAR(64)  PRIMARY KEY,
    service_id  VARCHAR(63)  NOT NULL,
    created_by  VARCHAR(80)  NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at     TIMESTAMP WITH TIME ZONE
);
CREATE INDEX join_tokens_service ON join_tokens (service_id);

-- Every client certificate the CA issued (for listing, revocation, the CRL and the key registry).
CREATE TABLE service_certificates (
    serial          VARCHAR(40)   PRIMARY KEY,    -- upper-case hex, as openssl x509 -serial prints it
    service_id      VARCHAR(63)   NOT NULL,
    certificate_pem VARCHAR(8000) NOT NULL,
    x5t_s256        VARCHAR(64)   NOT NULL,       -- base64url(SHA-256(DER)), the token's cnf value
    issued_via      VARCHAR(16)   NOT NULL,       -- enroll | renew
    not_before      TIMESTAMP WITH TIME ZONE NOT NULL,
    not_after       TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at      TIMESTAMP WITH TIME ZONE,
    revoked_by      VARCHAR(80)
);
CREATE INDEX service_certificates_service ON service_certificates (service_id);

-- What a service's own tokens (client credentials by certificate) carry, set by admins.
CREATE TABLE service_identities (
    service_id        VARCHAR(63)   PRIMARY KEY,
    roles             VARCHAR(4000) NOT NULL,     -- JSON array
    audiences         VARCHAR(4000) NOT NULL,     -- JSON array
    claims            VARCHAR(8000) NOT NULL,     -- JSON object of extra claims
    token_ttl_seconds INTEGER       NOT NULL,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_by        VARCHAR(80)   NOT NULL
);
