package io.imsm.server.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.imsm.protocol.BearerHeader;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.config.Config;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.store.Database;
import io.imsm.server.store.GatewayStore;
import io.imsm.server.store.RateLimitBuckets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The identity gateway (docs/gateway.md): admins register domain controllers (their DC-DDO and DID);
 * holders prove their address with an ES256K JWT and get an ES256 {@code id_token} when the domain
 * controller says they are in the subject's group; the DC's controller account revokes them.
 */
public final class GatewayService {
    private static final Pattern DID = Pattern.compile("did:nv:[0-9a-f]{64}");
    private static final int MAX_ID_TOKEN_CHARS = 8192;

    private final Database db;
    private final GatewayStore store;
    private final GatewayKey key;
    private final SigningKeys signingKeys;
    private final LdapDirectory directory;
    private final CredentialLedger ledger;
    private final AdminNetworks adminNetworks;
    private final AuditLog audit;
    private final Supplier<String> baseUrl;
    private final Config.Gateway cfg;
    private final Clock clock;
    private final SecureRandom random;
    private final RateLimitBuckets buckets;
    private final BucketConfiguration perIp;

    public GatewayService(Database db, GatewayStore store, GatewayKey key, SigningKeys signingKeys, LdapDirectory directory,
                          CredentialLedger ledger, AdminNetworks adminNetworks, AuditLog audit, Supplier<String> baseUrl,
                          Config.Gateway cfg, Clock clock, SecureRandom random, RateLimitBuckets buckets) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.key = Objects.requireNonNull(key);
        this.signingKeys = Objects.requireNonNull(signingKeys);
        this.directory = Objects.requireNonNull(directory);
        this.ledger = Objects.requireNonNull(ledger);
        this.adminNetworks = Objects.requireNonNull(adminNetworks);
        this.audit = Objects.requireNonNull(audit);
        this.baseUrl = Objects.requireNonNull(baseUrl);
        this.cfg = Objects.requireNonNull(cfg);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.buckets = Objects.requireNonNull(buckets);
        int n = cfg.requestsPerIpPerMinute();
        this.perIp = BucketConfiguration.builder().addLimit(l -> l.capacity(n).refillGreedy(n, Duration.ofMinutes(1))).build();
    }

    public record Registered(String did, JsonNode ddo) {}

    /** RFC 7662-like answer: when inactive, nothing else. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Verification(boolean active, String iss, String sub, String aud, Long iat, Long exp, String jti, String did) {
        static Verification inactive() {
            return new Verification(false, null, null, null, null, null, null, null);
        }
    }

    public EthAddress address() {
        return key.address();
    }

    /** Registers a domain controller: admins only, and only from {@code gateway.admin_networks}. */
    public Registered register(Caller caller, DomainControllerRequest req) {
        caller.requireAdmin();
        if (!adminNetworks.contains(caller.ip())) {
            throw new ImsmException.Forbidden("Domain controllers can be registered only from the admin networks (gateway.admin_networks).");
        }
        if (req == null) {
            throw new ImsmException.Invalid("body required");
        }
        String name = text(req.name(), "name", 1, 200);
        String description = text(req.description() == null ? "" : req.description(), "description", 0, 2000);
        EthAddress controller = EthAddress.parse(req.controller(), "controller");
        LdapDirectory.validate(req.ldap());
        String encrypted;
        try {
            encrypted = Ecies.encrypt(key.publicKey(), Json.mapper().writeValueAsBytes(req.ldap()), controller.lower(), random);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Instant now = clock.instant();
        ArrayNode service = DcDdo.service(baseUrl.get(), encrypted, now.truncatedTo(ChronoUnit.SECONDS).toString(), description,
                key.address(), name);
        String did = DcDdo.did(service);
        ObjectNode ddo = DcDdo.ddo(did, controller, service);
        db.inTransaction(h -> {
            for (String subject : req.ldap().subjects().keySet()) {
                if (store.subjectOwner(h, subject).isPresent()) {
                    throw new ImsmException.Conflict("The subject '" + subject + "' is decided by another domain controller.");
                }
            }
            store.insertController(h, new GatewayStore.DomainController(did, controller.lower(), name, ddo.toString(), now, caller.actor()));
            for (String subject : req.ldap().subjects().keySet()) {
                store.insertSubject(h, subject, did);
            }
            audit.record(h, caller.actor(), "gateway_dc_register", did, caller.ip(), "ok", "controller=" + controller.checksummed());
            return null;
        });
        return new Registered(did, ddo);
    }

    /** The DC-DDO published for {@code did} (public). */
    public String resolve(String did) {
        if (did == null || !DID.matcher(did).matches()) {
            throw new ImsmException.NotFound("No such DID.");
        }
        return db.read(h -> store.findController(h, did)).map(GatewayStore.DomainController::ddo)
                .orElseThrow(() -> new ImsmException.NotFound("No such DID."));
    }

    /**
     * A holder asks for a credential with an ES256K JWT in the Authorization header; answers the
     * ES256 {@code id_token} when the domain controller says the holder may use the subject.
     */
    public String issueCredential(String authorization, String ip) {
        throttle(ip);
        Es256kJwt.Claims claims = verifiedOnce(authorization);
        Optional<GatewayStore.DomainController> dc = db.read(h -> store.subjectOwner(h, claims.subject()).flatMap(d -> store.findController(h, d)));
        Optional<DomainControllerRequest.Ldap> ldap = dc.map(this::connection);
        boolean allowed = ldap.isPresent() && directory.isMember(ldap.get(), claims.issuer(), ldap.get().subjects().get(claims.subject()));
        if (!allowed) {
            audit.recordAlone(db, claims.issuer().checksummed(), "gateway_credential_issue", claims.subject(), ip, "refused", null);
            throw new ImsmException.Forbidden(ErrorCode.HOLDER_NOT_ALLOWED,
                    "The domain controller does not allow this holder to use this subject.");
        }
        Instant now = clock.instant();
        Instant exp = now.plusSeconds(cfg.credentialTtlSeconds());
        byte[] id = new byte[16];
        random.nextBytes(id);
        String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        String did = dc.get().did();
        String token = sign(new JWTClaimsSet.Builder().issuer(key.address().checksummed()).subject(claims.subject())
                .audience(claims.issuer().checksummed()).issueTime(Date.from(now)).expirationTime(Date.from(exp)).jwtID(jti)
                .claim("did", did).build());
        db.inTransaction(h -> {
            store.insertCredential(h, new GatewayStore.Credential(jti, claims.subject(), claims.issuer().lower(), did, now, exp, null));
            audit.record(h, claims.issuer().checksummed(), "gateway_credential_issue", claims.subject(), ip, "ok", "jti=" + jti);
            return null;
        });
        ledger.issued(jti, did, claims.subject(), claims.issuer(), exp);
        return token;
    }

    /** The DC's controller account revokes every credential issued for a subject; returns how many. */
    public int revoke(String authorization, String ip) {
        throttle(ip);
        Es256kJwt.Claims claims = verifiedOnce(authorization);
        Optional<GatewayStore.DomainController> dc = db.read(h -> store.subjectOwner(h, claims.subject()).flatMap(d -> store.findController(h, d)));
        if (dc.isEmpty() || !dc.get().controller().equals(claims.issuer().lower())) {
            audit.recordAlone(db, claims.issuer().checksummed(), "gateway_credential_revoke", claims.subject(), ip, "refused", null);
            throw new ImsmException.Forbidden("Only the controller account of the subject's domain controller can revoke its credentials.");
        }
        int n = db.inTransaction(h -> {
            int count = store.revokeSubject(h, claims.subject(), clock.instant());
            audit.record(h, claims.issuer().checksummed(), "gateway_credential_revoke", claims.subject(), ip, "ok", "count=" + count);
            return count;
        });
        ledger.revoked(dc.get().did(), claims.subject(), n);
        return n;
    }

    /** Whether an {@code id_token} this gateway issued is active: its signature, expiry and revocation. */
    public Verification verify(String idToken) {
        if (idToken == null || idToken.isBlank()) {
            throw ImsmException.Invalid.inField("id_token", "id_token is required");
        }
        if (idToken.length() > MAX_ID_TOKEN_CHARS) {
            return Verification.inactive();
        }
        try {
            SignedJWT jwt = SignedJWT.parse(idToken);
            if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm()) || jwt.getHeader().getKeyID() == null) {
                return Verification.inactive();
            }
            JWK jwk = signingKeys.jwks().getKeyByKeyId(jwt.getHeader().getKeyID());
            if (!(jwk instanceof ECKey ec) || !jwt.verify(new ECDSAVerifier(ec))) {
                return Verification.inactive();
            }
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            Instant now = clock.instant();
            if (!key.address().checksummed().equals(c.getIssuer()) || c.getExpirationTime() == null || c.getJWTID() == null
                    || !c.getExpirationTime().toInstant().isAfter(now)) {
                return Verification.inactive();
            }
            Optional<GatewayStore.Credential> stored = db.read(h -> store.findCredential(h, c.getJWTID()));
            if (stored.isEmpty() || stored.get().revokedAt() != null) {
                return Verification.inactive();
            }
            GatewayStore.Credential s = stored.get();
            return new Verification(true, c.getIssuer(), s.subject(), new EthAddress(s.holder()).checksummed(),
                    s.issuedAt().getEpochSecond(), s.expiresAt().getEpochSecond(), s.jti(), s.did());
        } catch (ParseException | JOSEException e) {
            return Verification.inactive();
        }
    }

    private Es256kJwt.Claims verifiedOnce(String authorization) {
        String token = BearerHeader.token(authorization);
        if (token == null) {
            throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "Use 'Authorization: Bearer <ES256K JWT>'.");
        }
        Instant now = clock.instant();
        Es256kJwt.Claims claims = Es256kJwt.verify(token, key.address(), now, Duration.ofSeconds(cfg.maxJwtLifetimeSeconds()));
        String seenId = HexFormat.of().formatHex(Es256kJwt.sha256((claims.issuer().lower() + " " + claims.jti()).getBytes(StandardCharsets.UTF_8)));
        // kept until the JWT's own expiry (plus the tolerated skew): after that the token is refused as expired
        boolean first = db.inTransaction(h -> store.markSeen(h, seenId, claims.expiresAt().plus(Es256kJwt.SKEW), now));
        if (!first) {
            throw new ImsmException.Unauthenticated(ErrorCode.TOKEN_REPLAYED, "This token was used before; sign a new one with a new jti.");
        }
        return claims;
    }

    private DomainControllerRequest.Ldap connection(GatewayStore.DomainController dc) {
        try {
            JsonNode ddo = Json.mapper().readTree(dc.ddo());
            String encrypted = ddo.path("service").path(0).path("encryptedDC").asText();
            return Json.mapper().readValue(key.decrypt(encrypted, dc.controller()), DomainControllerRequest.Ldap.class);
        } catch (IOException e) {
            throw new IllegalStateException("the stored DC-DDO " + dc.did() + " cannot be read", e);
        }
    }

    private String sign(JWTClaimsSet claims) {
        ECKey signing = signingKeys.activeKey();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(signing.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new ECDSASigner(signing));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the id_token", e);
        }
        return jwt.serialize();
    }

    private void throttle(String ip) {
        ConsumptionProbe p = buckets.bucket("gateway-ip:" + ip, perIp).tryConsumeAndReturnRemaining(1);
        if (!p.isConsumed()) {
            long wait = RateLimitBuckets.seconds(p.getNanosToWaitForRefill());
            throw new ImsmException.Throttled(ErrorCode.RATE_LIMITED, "Too many gateway requests from this address. Try again in "
                    + wait + " s.", wait);
        }
    }

    private static String text(String value, String field, int min, int max) {
        if (value == null || value.strip().length() < min || value.length() > max || value.chars().anyMatch(Character::isISOControl)) {
            throw ImsmException.Invalid.inField(field, field + " must have " + min + " to " + max + " characters, no control characters");
        }
        return value.strip();
    }
}
