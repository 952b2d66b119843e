-- Hash-chained audit log (docs/audit.md). Each row chained from now on carries its place in the
-- chain (chain_seq, gap-free), the hash of the previous row's canonical form (prev_hash) and the
-- hash of its own (entry_hash). Rows written before this migration stay unchained (chain_seq NULL).
ALTER TABLE audit_log ADD COLUMN user_agent VARCHAR(200);
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR(64);
ALTER TABLE audit_log ADD COLUMN entry_hash VARCHAR(64);
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain_seq);

-- One row: the chain's head (last sequence number and hash), locked FOR UPDATE by every append so
-- several instances on one database extend one chain; and the anchor, where verification starts
-- (the oldest kept chained row's sequence number and the prev_hash it must carry), moved forward
-- by the retention policy in the transaction that deletes older rows.
CREATE TABLE audit_chain (
    id          INT PRIMARY KEY,
    head_seq    BIGINT      NOT NULL,
    head_hash   VARCHAR(64) NOT NULL,
    anchor_seq  BIGINT      NOT NULL,
    anchor_hash VARCHAR(64) NOT NULL
);
INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
        1, '0000000000000000000000000000000000000000000000000000000000000000');
