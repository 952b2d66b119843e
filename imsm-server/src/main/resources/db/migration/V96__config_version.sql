-- A change counter for the configuration every token request reads: hooks and the service catalog
-- (decision 0019). Every write to those tables bumps it in its own transaction; the session
-- authentication of a request reads it in the same statement, and the in-memory caches of hooks
-- and service definitions serve only while it is unchanged, so an edit on one instance counts on
-- every instance from its next request.
CREATE TABLE config_version (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT   NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);
