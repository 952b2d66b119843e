package io.imsm.server.store;

import io.imsm.server.model.BrowserSession;
import io.imsm.server.model.User;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** SQL for browser sessions. */
public final class SessionStore {
    private static final String COLUMNS = "id_hash, public_id, user_id, stage, csrf_token, created_at, last_seen_at, "
            + "expires_at, ended_at, ip, user_agent";

    private static final RowMapper<BrowserSession> MAPPER = (rs, ctx) -> new BrowserSession(
            rs.getString("id_hash"), rs.getString("public_id"), rs.getString("user_id"), rs.getString("stage"),
            rs.getString("csrf_token"), instant(rs, "created_at"), instant(rs, "last_seen_at"),
            instant(rs, "expires_at"), instant(rs, "ended_at"), rs.getString("ip"), rs.getString("user_agent"));

    public void insert(Handle h, BrowserSession s) {
        h.createUpdate("INSERT INTO browser_sessions (" + COLUMNS + ") VALUES (:idHash, :publicId, :userId, :stage, :csrf, "
                        + ":createdAt, :lastSeen, :expiresAt, NULL, :ip, :ua)")
                .bind("idHash", s.idHash()).bind("publicId", s.publicId()).bind("userId", s.userId())
                .bind("stage", s.stage()).bind("csrf", s.csrfToken()).bind("createdAt", ts(s.createdAt()))
                .bind("lastSeen", ts(s.lastSeenAt())).bind("expiresAt", ts(s.expiresAt()))
                .bind("ip", s.ip()).bind("ua", s.userAgent())
                .execute();
    }

    public Optional<BrowserSession> find(Handle h, String idHash) {
        return h.createQuery("SELECT " + COLUMNS + " FROM browser_sessions WHERE id_hash = :h").bind("h", idHash)
                .map(MAPPER).findOne();
    }

    /** A session with its person (null when the person is gone) and the configuration's version, as one statement read them. */
    public record Authenticated(BrowserSession session, User user, long configVersion) {}

    private static final String AUTHENTICATE = "SELECT " + prefixed("s") + ", " + UserStore.columnsAs("u") + ", r.role AS u_role, "
            + ConfigVersion.COLUMN + " FROM browser_sessions s LEFT JOIN users u ON u.id = s.user_id "
            + "LEFT JOIN user_roles r ON r.user_id = u.id WHERE s.id_hash = ?";

    /**
     * The session, its person with their roles and the configuration's version ({@link ConfigVersion})
     * in one statement: what authenticating a request needs, one round trip instead of three. Plain
     * JDBC ({@link Jdbc}): every request authenticated by a browser session runs it.
     */
    public Optional<Authenticated> authenticate(Handle h, String idHash) {
        return Jdbc.query(h, AUTHENTICATE, ps -> ps.setString(1, idHash), rs -> {
            if (!rs.next()) {
                return Optional.empty();
            }
            BrowserSession s = MAPPER.map(rs, null);
            long version = rs.getLong("config_version");
            if (rs.getString("u_id") == null) {
                return Optional.of(new Authenticated(s, null, version));
            }
            User u = UserStore.user(rs, "u_");
            Set<String> roles = new HashSet<>();
            do {
                String role = rs.getString("u_role");
                if (role != null) {
                    roles.add(role);
                }
            } while (rs.next());
            return Optional.of(new Authenticated(s, u.withRoles(roles), version));
        });
    }

    private static String prefixed(String alias) {
        return Arrays.stream(COLUMNS.split(", ")).map(c -> alias + "." + c).collect(Collectors.joining(", "));
    }

    public void touch(Handle h, String idHash, Instant at) {
        h.createUpdate("UPDATE browser_sessions SET last_seen_at = :at WHERE id_hash = :h AND ended_at IS NULL")
                .bind("at", ts(at)).bind("h", idHash).execute();
    }

    public void end(Handle h, String idHash, Instant at) {
        h.createUpdate("UPDATE browser_sessions SET ended_at = :at WHERE id_hash = :h AND ended_at IS NULL")
                .bind("at", ts(at)).bind("h", idHash).execute();
    }

    /** Ends one of the user's sessions by its public id; false when no such live session. */
    public boolean endByPublicId(Handle h, String userId, String publicId, Instant at) {
        return h.createUpdate("UPDATE browser_sessions SET ended_at = :at WHERE public_id = :p AND user_id = :u AND ended_at IS NULL")
                .bind("at", ts(at)).bind("p", publicId).bind("u", userId).execute() == 1;
    }

    public int endAllForUser(Handle h, String userId, Instant at, String exceptIdHash) {
        return h.createUpdate("UPDATE browser_sessions SET ended_at = :at WHERE user_id = :u AND ended_at IS NULL AND id_hash <> :x")
                .bind("at", ts(at)).bind("u", userId).bind("x", exceptIdHash == null ? "" : exceptIdHash).execute();
    }

    /** Live sessions of a user: not ended, not past the absolute or idle timeout. */
    public List<BrowserSession> listLive(Handle h, String userId, Instant now, Instant idleCutoff) {
        return h.createQuery("SELECT " + COLUMNS + " FROM browser_sessions WHERE user_id = :u AND ended_at IS NULL "
                        + "AND stage = 'full' AND expires_at > :now AND last_seen_at > :idle ORDER BY created_at DESC")
                .bind("u", userId).bind("now", ts(now)).bind("idle", ts(idleCutoff)).map(MAPPER).list();
    }

    /** Deletes sessions that ended or expired before {@code before}. */
    public int purge(Handle h, Instant before) {
        return h.createUpdate("DELETE FROM browser_sessions WHERE (ended_at IS NOT NULL AND ended_at < :b) OR expires_at < :b")
                .bind("b", ts(before)).execute();
    }
}
