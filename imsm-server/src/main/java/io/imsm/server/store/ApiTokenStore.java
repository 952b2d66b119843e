package io.imsm.server.store;

import io.imsm.server.model.ApiToken;
import io.imsm.server.model.ApiTokenEvent;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** SQL for user API tokens, their delegated tokens and their change history. */
public final class ApiTokenStore {
    private static final String COLUMNS = "token_key, secret_hash, user_id, kind, name, scopes, parent_key, audience, "
            + "created_at, expires_at, last_used_at, last_used_ip, revoked_at, revoked_by";
    private static final String EVENT_COLUMNS = "id, token_key, user_id, username, parent_key, event, actor, ip, at, detail";

    private static final RowMapper<ApiToken> MAPPER = (rs, ctx) -> new ApiToken(
            rs.getString("token_key"), rs.getString("secret_hash"), rs.getString("user_id"), rs.getString("kind"),
            rs.getString("name"), splitScopes(rs.getString("scopes")), rs.getString("parent_key"), rs.getString("audience"),
            instant(rs, "created_at"), instant(rs, "expires_at"), instant(rs, "last_used_at"), rs.getString("last_used_ip"),
            instant(rs, "revoked_at"), rs.getString("revoked_by"));

    private static final RowMapper<ApiTokenEvent> EVENT_MAPPER = (rs, ctx) -> new ApiTokenEvent(
            rs.getLong("id"), rs.getString("token_key"), rs.getString("user_id"), rs.getString("username"),
            rs.getString("parent_key"), rs.getString("event"), rs.getString("actor"), rs.getString("ip"),
            instant(rs, "at"), rs.getString("detail"));

    /** @param nameKey the lower-cased name that must be unique among the person's live user tokens, or null */
    public void insert(Handle h, ApiToken t, String nameKey) {
        h.createUpdate("INSERT INTO api_tokens (" + COLUMNS + ", name_key) VALUES (:key, :hash, :user, :kind, :name, :scopes, "
                        + ":parent, :aud, :created, :expires, NULL, NULL, NULL, NULL, :nameKey)")
                .bind("key", t.key()).bind("hash", t.secretHash()).bind("user", t.userId()).bind("kind", t.kind())
                .bind("name", t.name()).bind("scopes", String.join(" ", t.scopes())).bind("parent", t.parentKey())
                .bind("aud", t.audience()).bind("created", ts(t.createdAt())).bind("expires", ts(t.expiresAt()))
                .bind("nameKey", nameKey)
                .execute();
    }

    public Optional<ApiToken> find(Handle h, String key) {
        return h.createQuery("SELECT " + COLUMNS + " FROM api_tokens WHERE token_key = :k").bind("k", key).map(MAPPER).findOne();
    }

    public boolean nameTaken(Handle h, String userId, String nameKey, String exceptKey) {
        return h.createQuery("SELECT COUNT(*) FROM api_tokens WHERE user_id = :u AND name_key = :n AND token_key <> :x")
                .bind("u", userId).bind("n", nameKey).bind("x", exceptKey == null ? "" : exceptKey).mapTo(Integer.class).one() > 0;
    }

    /** The person's user tokens that were not deleted (expired ones included), newest first. */
    public List<ApiToken> listUserTokens(Handle h, String userId, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM api_tokens WHERE user_id = :u AND kind = 'user' AND revoked_at IS NULL "
                        + "ORDER BY created_at DESC LIMIT :lim")
                .bind("u", userId).bind("lim", limit).map(MAPPER).list();
    }

    public int countLiveUserTokens(Handle h, String userId) {
        return h.createQuery("SELECT COUNT(*) FROM api_tokens WHERE user_id = :u AND kind = 'user' AND revoked_at IS NULL")
                .bind("u", userId).mapTo(Integer.class).one();
    }

    public void rename(Handle h, String key, String name, String nameKey) {
        h.createUpdate("UPDATE api_tokens SET name = :n, name_key = :k WHERE token_key = :key")
                .bind("n", name).bind("k", nameKey).bind("key", key).execute();
    }

    public void setScopes(Handle h, String key, List<String> scopes) {
        h.createUpdate("UPDATE api_tokens SET scopes = :s WHERE token_key = :key")
                .bind("s", String.join(" ", scopes)).bind("key", key).execute();
    }

    public void setExpiry(Handle h, String key, Instant expiresAt) {
        h.createUpdate("UPDATE api_tokens SET expires_at = :e WHERE token_key = :key")
                .bind("e", ts(expiresAt)).bind("key", key).execute();
    }

    /** Marks the token and every token delegated from it revoked; returns the tokens that were live. */
    public List<ApiToken> revokeWithDelegated(Handle h, String key, Instant at, String by) {
        List<ApiToken> live = h.createQuery("SELECT " + COLUMNS + " FROM api_tokens WHERE (token_key = :k OR parent_key = :k) "
                        + "AND revoked_at IS NULL")
                .bind("k", key).map(MAPPER).list();
        h.createUpdate("UPDATE api_tokens SET revoked_at = :at, revoked_by = :by, name_key = NULL "
                        + "WHERE (token_key = :k OR parent_key = :k) AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("by", by).bind("k", key).execute();
        return live;
    }

    /** Marks every token of the person revoked; returns the tokens that were live. */
    public List<ApiToken> revokeAllOfUser(Handle h, String userId, Instant at, String by) {
        List<ApiToken> live = h.createQuery("SELECT " + COLUMNS + " FROM api_tokens WHERE user_id = :u AND revoked_at IS NULL")
                .bind("u", userId).map(MAPPER).list();
        h.createUpdate("UPDATE api_tokens SET revoked_at = :at, revoked_by = :by, name_key = NULL WHERE user_id = :u AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("by", by).bind("u", userId).execute();
        return live;
    }

    public void touch(Handle h, String key, Instant at, String ip) {
        h.createUpdate("UPDATE api_tokens SET last_used_at = :at, last_used_ip = :ip WHERE token_key = :k")
                .bind("at", ts(at)).bind("ip", ip).bind("k", key).execute();
    }

    public void insertEvent(Handle h, ApiTokenEvent e) {
        h.createUpdate("INSERT INTO api_token_history (token_key, user_id, username, parent_key, event, actor, ip, at, detail) "
                        + "VALUES (:key, :user, :username, :parent, :event, :actor, :ip, :at, :detail)")
                .bind("key", e.tokenKey()).bind("user", e.userId()).bind("username", e.username()).bind("parent", e.parentKey())
                .bind("event", e.event()).bind("actor", e.actor()).bind("ip", e.ip()).bind("at", ts(e.at()))
                .bind("detail", e.detail())
                .execute();
    }

    /** A token's history and that of the tokens delegated from it, newest first. */
    public List<ApiTokenEvent> history(Handle h, String key, int limit) {
        return h.createQuery("SELECT " + EVENT_COLUMNS + " FROM api_token_history WHERE token_key = :k OR parent_key = :k "
                        + "ORDER BY id DESC LIMIT :lim")
                .bind("k", key).bind("lim", limit).map(EVENT_MAPPER).list();
    }

    public boolean addressSeen(Handle h, String key, String ip) {
        return h.createQuery("SELECT COUNT(*) FROM api_token_history WHERE token_key = :k AND ip = :ip "
                        + "AND event IN ('created', 'used_new_address')")
                .bind("k", key).bind("ip", ip).mapTo(Integer.class).one() > 0;
    }

    /** History across people for admins; every filter optional (null). */
    public List<ApiTokenEvent> search(Handle h, String username, String key, String event, Instant since, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + EVENT_COLUMNS + " FROM api_token_history WHERE 1 = 1");
        if (username != null) sql.append(" AND LOWER(username) = :username");
        if (key != null) sql.append(" AND (token_key = :key OR parent_key = :key)");
        if (event != null) sql.append(" AND event = :event");
        if (since != null) sql.append(" AND at >= :since");
        sql.append(" ORDER BY id DESC LIMIT :lim");
        Query q = h.createQuery(sql.toString()).bind("lim", limit);
        if (username != null) q.bind("username", username.toLowerCase(java.util.Locale.ROOT));
        if (key != null) q.bind("key", key);
        if (event != null) q.bind("event", event);
        if (since != null) q.bind("since", ts(since));
        return q.map(EVENT_MAPPER).list();
    }

    /** History entries after {@code afterId} that change what a token may do (deleted, disabled, scopes or expiry changed). */
    public List<ApiTokenEvent> invalidationsAfter(Handle h, long afterId, int limit) {
        return h.createQuery("SELECT " + EVENT_COLUMNS + " FROM api_token_history WHERE id > :after "
                        + "AND event IN ('deleted', 'disabled', 'scopes_changed', 'expiry_changed') ORDER BY id LIMIT :lim")
                .bind("after", afterId).bind("lim", limit).map(EVENT_MAPPER).list();
    }

    public long lastEventId(Handle h) {
        return h.createQuery("SELECT COALESCE(MAX(id), 0) FROM api_token_history").mapTo(Long.class).one();
    }

    private static List<String> splitScopes(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split(" +"));
    }
}
