-- Access requests (docs/approvals.md): a token request for a service with an approval rule waits
-- here for approvers. The request as asked (scopes, lifetime, fields, exact request) is kept
-- encrypted under the key-encryption key (it may hold fields the service wants confidential) until
-- the token is picked up; the rule (approvals, approver roles, windows) is copied at request time,
-- so a later catalog change does not move the goalposts of a pending request. "shown" is what
-- approvers see: the same request without the fields the service keeps confidential.
CREATE TABLE access_requests (
    id               VARCHAR(32)   PRIMARY KEY,
    user_id          VARCHAR(40)   NOT NULL,
    username         VARCHAR(80)   NOT NULL,
    service_id       VARCHAR(63)   NOT NULL,
    request_enc      VARCHAR(20000) NOT NULL,
    shown            VARCHAR(8000) NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    approvals_needed INT           NOT NULL,
    approver_roles   VARCHAR(2000) NOT NULL,
    manager          VARCHAR(80),
    pickup_window_seconds INT      NOT NULL,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    decided_at       TIMESTAMP WITH TIME ZONE,
    decided_by       VARCHAR(80),
    decision_comment VARCHAR(1000),
    pickup_until     TIMESTAMP WITH TIME ZONE,
    picked_up_at     TIMESTAMP WITH TIME ZONE,
    sid              VARCHAR(64)
);
CREATE INDEX access_requests_user ON access_requests (user_id, created_at);
CREATE INDEX access_requests_status ON access_requests (status, expires_at);

-- Each change of a request: who, when, what (requested, approved, denied, cancelled, expired,
-- picked_up) and the comment given.
CREATE TABLE access_request_events (
    request_id VARCHAR(32)  NOT NULL REFERENCES access_requests (id) ON DELETE CASCADE,
    seq        INT          NOT NULL,
    at         TIMESTAMP WITH TIME ZONE NOT NULL,
    actor      VARCHAR(80)  NOT NULL,
    action     VARCHAR(16)  NOT NULL,
    comment    VARCHAR(1000),
    PRIMARY KEY (request_id, seq)
);
