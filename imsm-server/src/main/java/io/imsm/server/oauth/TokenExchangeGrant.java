package io.imsm.server.oauth;

import io.imsm.protocol.Scopes;
import io.imsm.server.model.OAuthClient;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * RFC 8693 token exchange: a client (say, an API gateway) trades a token it received for an IMSM access
 * token for another audience, acting for the same subject ({@code act} claim, RFC 8693 §4.1). The scope
 * never grows: at most the subject token's scope and the client's registered scopes. Subject token types
 * are pluggable ({@link SubjectTokens}); IMSM's own access tokens are one.
 */
public final class TokenExchangeGrant implements GrantHandler {
    public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
    public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

    /** Who a subject token speaks for. {@code familyId} when it belongs to a refresh-token family. */
    public record Subject(String subject, String userId, Set<String> scope, String familyId, java.time.Instant authTime) {}

    /** Reads one kind of subject token (RFC 8693 §3 token type URI). */
    public interface SubjectTokens {
        String tokenType();

        /** The subject, or empty when the token is not valid (expired, revoked, unknown). */
        Optional<Subject> resolve(String token);

        /** Whether this reader reads {@code token}: several readers may share one token type URI; the first that reads it wins. */
        default boolean reads(String token) { return true; }

        /**
         * For readers whose tokens are exchanged for a token of their own kind (a user API token gives a
         * delegated API token): the response, else empty and an IMSM access token is issued for {@link #resolve}.
         * {@code scope} is null when none was asked for.
         */
        default Optional<TokenResponse> exchange(String token, String audience, Set<String> scope, TokenRequest request) {
            return Optional.empty();
        }
    }

    private final Map<String, List<SubjectTokens>> subjectTokens = new LinkedHashMap<>();
    private final AccessTokens tokens;
    private final ClientRegistry clients;

    public TokenExchangeGrant(AccessTokens tokens, ClientRegistry clients, List<SubjectTokens> subjectTokens) {
        this.tokens = Objects.requireNonNull(tokens);
        this.clients = Objects.requireNonNull(clients);
        subjectTokens.forEach(s -> this.subjectTokens.computeIfAbsent(s.tokenType(), t -> new java.util.ArrayList<>()).add(s));
    }

    @Override public String grantType() { return GRANT_TYPE; }

    @Override
    public TokenResponse handle(TokenRequest request, OAuthClient client) {
        String type = request.require("subject_token_type");
        List<SubjectTokens> readers = subjectTokens.get(type);
        if (readers == null) {
            throw OAuthError.invalidRequest("subject_token_type " + type + " is not supported; supported: " + subjectTokens.keySet() + ".");
        }
        String token = request.require("subject_token");
        SubjectTokens reader = readers.stream().filter(r -> r.reads(token)).findFirst()
                .orElseThrow(() -> OAuthError.invalidGrant("The subject token is not valid (expired, revoked or unknown)."));
        if (request.param("actor_token") != null) {
            throw OAuthError.invalidRequest("actor_token is not supported; the authenticated client is the actor.");
        }
        String requestedType = request.param("requested_token_type");
        if (requestedType != null && !requestedType.equals(ACCESS_TOKEN_TYPE)) {
            throw OAuthError.invalidRequest("requested_token_type can only be " + ACCESS_TOKEN_TYPE + ".");
        }
        String audience = request.param("audience") != null ? request.param("audience") : request.param("resource");
        if (audience != null && !client.audiences().contains(audience)) {
            throw OAuthError.invalidTarget("This client may ask for the audiences " + client.audiences() + " only.");
        }
        Set<String> asked = request.param("scope") == null ? null : Scopes.parse(request.param("scope"));
        if (asked != null && !client.scopes().containsAll(asked)) {
            throw OAuthError.invalidScope("This client may ask for at most " + client.scopes() + ".");
        }
        Optional<TokenResponse> own = reader.exchange(token, audience, asked, request);
        if (own.isPresent()) {
            return own.get();
        }
        Subject subject = reader.resolve(token)
                .orElseThrow(() -> OAuthError.invalidGrant("The subject token is not valid (expired, revoked or unknown)."));
        Set<String> allowed = new LinkedHashSet<>(subject.scope());
        allowed.retainAll(client.scopes());
        Set<String> scope = allowed;
        if (request.param("scope") != null) {
            scope = Scopes.parse(request.param("scope"));
            if (!allowed.containsAll(scope)) {
                throw OAuthError.invalidScope("The exchanged token can carry at most " + allowed + ".");
            }
        }
        String s = String.join(" ", scope);
        int ttl = clients.accessTokenTtl(client);
        String at = tokens.accessToken(new AccessTokens.Grant(subject.subject(), client.clientId(),
                audience == null ? client.audiences() : List.of(audience), s, subject.userId(), subject.familyId(), subject.authTime(), ttl,
                Map.of("act", Map.of("sub", client.clientId()))));
        return new TokenResponse(at, "Bearer", ttl, null, s, null, ACCESS_TOKEN_TYPE);
    }
}
