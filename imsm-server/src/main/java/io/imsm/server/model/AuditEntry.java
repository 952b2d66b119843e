package io.imsm.server.model;

/**
 * A stored audit row: the event, its row id (for paging), its place in the hash chain
 * ({@code seq}, null for rows written before the chain existed) and the chain's hashes.
 */
public record AuditEntry(long id, Long seq, AuditEvent event, String prevHash, String entryHash) {}
