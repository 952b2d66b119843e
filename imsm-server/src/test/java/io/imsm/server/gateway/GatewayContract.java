package io.imsm.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.bouncycastle.jcajce.provider.digest.Keccak;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The identity gateway over HTTP against the real server and a real LDAP directory (UnboundID's
 * in-memory server loaded from gateway/directory.ldif), on H2 and PostgreSQL (the subclasses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GatewayContract {
    static final BigInteger ANALYST = GatewayCryptoTest.WEB3_KEY;
    static final BigInteger OUTSIDER = BigInteger.ONE;
    static final BigInteger CONTROLLER = BigInteger.TWO;
    static final BigInteger READER = BigInteger.valueOf(3);
    static final String ANALYST_DN = "uid=0x2c7536e3605d9c16a7a3d7b1898e529396a65c23,ou=people,dc=example,dc=org";
    static final String BIND_PASSWORD = "gateway-bind-secret";
    private static final String ADMIN = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    TestServer s;
    InMemoryDirectoryServer directory;
    Http http;
    String gateway;
    JsonNode registered;

    abstract TestDatabases.Kind kind();

    @BeforeAll
    void start() throws Exception {
        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig("dc=example,dc=org");
        config.setSchema(null);
        config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), 0, null));
        directory = new InMemoryDirectoryServer(config);
        directory.importFromLDIF(true, getClass().getResource("/gateway/directory.ldif").getPath());
        directory.startListening();
        s = TestServer.start(kind(), Map.of("gateway.requests_per_ip_per_minute", "10000"));
        http = s.client();
        gateway = http.get("/api/v1/gateway").json().path("address").asText();
        Http.Res r = http.postJson("/api/v1/gateway/services/domain", request("Example Org DC", Map.of(
                "agreement-analysts", "cn=analysts,ou=groups,dc=example,dc=org",
                "agreement-auditors", "cn=auditors,ou=groups,dc=example,dc=org",
                "agreement-readers", "cn=readers,ou=groups,dc=example,dc=org")), "Authorization", ADMIN);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        registered = r.json();
    }

    @AfterAll
    void stop() {
        if (s != null) {
            s.close();
        }
        if (directory != null) {
            directory.shutDown(true);
        }
    }

    Map<String, Object> request(String name, Map<String, String> subjects) {
        return request(name, "ldap://127.0.0.1:" + directory.getListenPort(), subjects);
    }

    static Map<String, Object> request(String name, String url, Map<String, String> subjects) {
        Map<String, Object> ldap = new LinkedHashMap<>();
        ldap.put("url", url);
        ldap.put("bind_dn", "cn=gateway,ou=system,dc=example,dc=org");
        ldap.put("bind_password", BIND_PASSWORD);
        ldap.put("base_dn", "ou=people,dc=example,dc=org");
        ldap.put("holder_filter", "(uid={address})");
        ldap.put("subjects", subjects);
        return Map.of("name", name, "description", "The directory of Example Org",
                "controller", HolderJwts.address(CONTROLLER).checksummed(), "ldap", ldap);
    }

    Http.Res askForCredential(String jwt) {
        return http.get("/api/v1/gateway/services/domain/credentials", "Authorization", "Bearer " + jwt);
    }

    String holderJwt(BigInteger key, String subject) {
        return HolderJwts.sign(key, HolderJwts.claims(key, subject, gateway, s.clock.instant()));
    }

    @Test
    void whenRegistered_thenTheDdoIsPublicAndTheDidIsTheKeccakOfTheSortedServiceSection() throws Exception {
        String did = registered.path("did").asText();
        JsonNode ddo = registered.path("ddo");
        assertThat(did).matches("did:nv:[0-9a-f]{64}");
        assertThat(ddo.path("@context").asText()).isEqualTo("https://www.w3.org/ns/did/v1");
        assertThat(ddo.path("id").asText()).isEqualTo(did);
        assertThat(ddo.path("controller").asText()).isEqualTo("0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF");
        JsonNode entry = ddo.path("service").path(0);
        assertThat(ddo.path("service").size()).isEqualTo(1);
        assertThat(entry.path("type").asText()).isEqualTo("DomainController");
        assertThat(entry.path("index").asInt(-1)).isEqualTo(0);
        assertThat(entry.path("serviceEndpoint").asText()).isEqualTo(s.baseUrl() + "/api/v1/metadata/controller/ddo/{did}");
        assertThat(entry.path("main").path("gateway").asText()).isEqualTo(gateway).isEqualTo(EthAddress.parse(gateway, "g").checksummed());
        assertThat(entry.path("main").path("name").asText()).isEqualTo("Example Org DC");
        assertThat(Instant.parse(entry.path("main").path("datePublished").asText())).isNotNull();
        assertThat(entry.path("encryptedDC").asText()).startsWith("0x04");
        assertThat(registered.toString()).doesNotContain(BIND_PASSWORD).doesNotContain("dc=example");

        String line = new ObjectMapper().configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true).writeValueAsString(ddo.path("service"));
        assertThat(did).isEqualTo("did:nv:" + HexFormat.of().formatHex(new Keccak.Digest256().digest(line.getBytes(StandardCharsets.UTF_8))));

        Http.Res resolved = s.client().get("/api/v1/metadata/controller/ddo/" + did);
        assertThat(resolved.status()).isEqualTo(200);
        assertThat(resolved.json()).isEqualTo(ddo);
        assertThat(s.client().get("/api/v1/metadata/controller/ddo/did:nv:" + "0".repeat(64)).status()).isEqualTo(404);
        assertThat(s.client().get("/api/v1/metadata/controller/ddo/nonsense").status()).isEqualTo(404);
    }

    @Test
    void whenHolderInTheGroup_thenAnEs256IdTokenForThatHolderThatVerifiesActive() throws Exception {
        Http.Res r = askForCredential(holderJwt(ANALYST, "agreement-analysts"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        SignedJWT idToken = SignedJWT.parse(r.json().path("id_token").asText());
        assertThat(idToken.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        JWKSet jwks = JWKSet.parse(s.client().get("/.well-known/jwks.json").body());
        assertThat(idToken.verify(new ECDSAVerifier((ECKey) jwks.getKeyByKeyId(idToken.getHeader().getKeyID())))).isTrue();
        JWTClaimsSet c = idToken.getJWTClaimsSet();
        assertThat(c.getIssuer()).isEqualTo(gateway);
        assertThat(c.getSubject()).isEqualTo("agreement-analysts");
        assertThat(c.getAudience()).containsExactly("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        assertThat(c.getJWTID()).isNotBlank();
        assertThat(c.getExpirationTime().toInstant()).isAfter(s.clock.instant()).isAfter(c.getIssueTime().toInstant());

        Http.Res v = http.postJson("/api/v1/gateway/credentials/verify", Map.of("id_token", idToken.serialize()));
        assertThat(v.status()).isEqualTo(200);
        assertThat(v.json().path("active").asBoolean()).isTrue();
        assertThat(v.json().path("sub").asText()).isEqualTo("agreement-analysts");
        assertThat(v.json().path("aud").asText()).isEqualTo("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    }

    @Test
    void whenMembershipComesFromUniqueMemberOrMemberOf_thenAlsoACredential() {
        assertThat(askForCredential(holderJwt(READER, "agreement-auditors")).status()).isEqualTo(200);
        assertThat(askForCredential(holderJwt(READER, "agreement-readers")).status()).isEqualTo(200);
        assertThat(askForCredential(holderJwt(ANALYST, "agreement-readers")).status()).isEqualTo(403);
    }

    @Test
    void whenHolderOutsideTheGroupOrUnknownSubject_thenRefusedWithoutDirectoryDetails() {
        for (String jwt : List.of(holderJwt(OUTSIDER, "agreement-analysts"), holderJwt(ANALYST, "agreement-nobody-decides"))) {
            Http.Res r = askForCredential(jwt);
            assertThat(r.status()).as(r.toString()).isEqualTo(403);
            assertThat(r.code()).isEqualTo("holder_not_allowed");
            assertThat(r.header("Content-Type")).startsWith("application/problem+json");
            assertThat(r.body()).doesNotContain("dc=").doesNotContain("ldap").doesNotContain("cn=");
        }
    }

    @Test
    void whenMembershipIsRemoved_thenTheNextRequestIsRefused() throws Exception {
        assertThat(askForCredential(holderJwt(ANALYST, "agreement-analysts")).status()).isEqualTo(200);
        String group = "cn=analysts,ou=groups,dc=example,dc=org";
        directory.modify(group, new Modification(ModificationType.DELETE, "member", ANALYST_DN));
        try {
            Http.Res r = askForCredential(holderJwt(ANALYST, "agreement-analysts"));
            assertThat(r.status()).as(r.toString()).isEqualTo(403);
            assertThat(r.code()).isEqualTo("holder_not_allowed");
        } finally {
            directory.modify(group, new Modification(ModificationType.ADD, "member", ANALYST_DN));
        }
        assertThat(askForCredential(holderJwt(ANALYST, "agreement-analysts")).status()).isEqualTo(200);
    }

    @Test
    void whenAnotherKeySignsForTheHoldersAddress_thenRefused() {
        Map<String, Object> claims = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, s.clock.instant());
        Http.Res r = askForCredential(HolderJwts.sign(OUTSIDER, claims));
        assertThat(r.status()).as(r.toString()).isEqualTo(401);
        assertThat(r.code()).isEqualTo("invalid_token");
        assertThat(r.json().path("detail").asText()).contains("signature");
    }

    @Test
    void whenExpiredTooLongOrForAnotherAudience_thenRefused() {
        Instant now = s.clock.instant();
        Map<String, Object> expired = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, now.minusSeconds(600));
        Map<String, Object> tooLong = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, now);
        tooLong.put("exp", now.getEpochSecond() + 3600);
        Map<String, Object> otherAudience = HolderJwts.claims(ANALYST, "agreement-analysts", HolderJwts.address(OUTSIDER).checksummed(), now);
        Map<String, Object> noJti = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, now);
        noJti.remove("jti");
        Map<String, Object> hugeDates = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, now);
        hugeDates.put("iat", new BigInteger("1" + "0".repeat(30)));
        hugeDates.put("exp", Long.MAX_VALUE);
        Map<String, Object> textDates = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, now);
        textDates.put("exp", "tomorrow");
        for (Map<String, Object> claims : List.of(expired, tooLong, otherAudience, noJti, hugeDates, textDates)) {
            Http.Res r = askForCredential(HolderJwts.sign(ANALYST, claims));
            assertThat(r.status()).as(claims + " → " + r).isEqualTo(401);
            assertThat(r.code()).isEqualTo("invalid_token");
        }
        // the same holder with a good token still passes: the refusals were about the tokens
        assertThat(askForCredential(holderJwt(ANALYST, "agreement-analysts")).status()).isEqualTo(200);
    }

    @Test
    void whenTheSameJtiComesAgain_thenRefusedAsReplay() {
        String jwt = holderJwt(ANALYST, "agreement-analysts");
        assertThat(askForCredential(jwt).status()).isEqualTo(200);
        Http.Res again = askForCredential(jwt);
        assertThat(again.status()).isEqualTo(401);
        assertThat(again.code()).isEqualTo("token_replayed");
    }

    @Test
    void whenAlgTricksOrMalformedTokens_thenRefused() throws Exception {
        Map<String, Object> claims = HolderJwts.claims(ANALYST, "agreement-analysts", gateway, s.clock.instant());
        String valid = HolderJwts.sign(ANALYST, claims);
        String[] parts = valid.split("\\.");
        SignedJWT hs256 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), JWTClaimsSet.parse(claims));
        hs256.sign(new MACSigner((gateway + gateway).getBytes(StandardCharsets.UTF_8)));
        List<String> tricks = List.of(
                HolderJwts.part(Map.of("alg", "none")) + "." + parts[1] + ".",
                HolderJwts.part(Map.of("alg", "none")) + "." + parts[1] + "." + parts[2],
                hs256.serialize(),
                HolderJwts.sign(ANALYST, Map.of("alg", "ES256"), claims),
                HolderJwts.sign(ANALYST, Map.of("alg", "es256k"), claims),
                HolderJwts.sign(ANALYST, Map.of("typ", "JWT"), claims),
                HolderJwts.sign(ANALYST, Map.of("alg", "ES256K", "crit", List.of("b64"), "b64", false), claims),
                Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"alg\":\"ES256K\"}".getBytes(StandardCharsets.UTF_8))
                        + "." + parts[1] + "." + parts[2],
                parts[0] + "." + parts[1] + "." + parts[2].substring(0, 40),
                parts[0] + "." + parts[1] + "." + parts[2] + "=",
                parts[0] + ".@@@." + parts[2],
                valid + "." + parts[2],
                "x".repeat(5000));
        for (String t : tricks) {
            Http.Res r = askForCredential(t);
            assertThat(r.status()).as(t + " → " + r).isEqualTo(401);
            assertThat(r.code()).isEqualTo("invalid_token");
        }
        assertThat(http.get("/api/v1/gateway/services/domain/credentials").status()).isEqualTo(401);
        assertThat(http.get("/api/v1/gateway/services/domain/credentials", "Authorization", "Basic abc").status()).isEqualTo(401);
        assertThat(askForCredential(valid).status()).isEqualTo(200);
    }

    @Test
    void whenTheControllerRevokes_thenTheCredentialIsInactive_andNobodyElseCanRevoke() {
        String idToken = askForCredential(holderJwt(READER, "agreement-auditors")).json().path("id_token").asText();
        Map<String, String> verify = Map.of("id_token", idToken);
        assertThat(http.postJson("/api/v1/gateway/credentials/verify", verify).json().path("active").asBoolean()).isTrue();

        for (BigInteger notController : List.of(READER, OUTSIDER, ANALYST)) {
            Http.Res refused = http.delete("/api/v1/gateway/services/domain/credentials", "Authorization",
                    "Bearer " + holderJwt(notController, "agreement-auditors"));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        }
        Map<String, Object> forged = HolderJwts.claims(CONTROLLER, "agreement-auditors", gateway, s.clock.instant());
        assertThat(http.delete("/api/v1/gateway/services/domain/credentials", "Authorization", "Bearer " + HolderJwts.sign(READER, forged))
                .status()).isEqualTo(401);
        assertThat(http.postJson("/api/v1/gateway/credentials/verify", verify).json().path("active").asBoolean()).isTrue();

        Http.Res revoked = http.delete("/api/v1/gateway/services/domain/credentials", "Authorization",
                "Bearer " + holderJwt(CONTROLLER, "agreement-auditors"));
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        assertThat(revoked.json().path("revoked").asInt()).isGreaterThanOrEqualTo(1);
        Http.Res after = http.postJson("/api/v1/gateway/credentials/verify", verify);
        assertThat(after.json().path("active").asBoolean()).isFalse();
        assertThat(after.json().size()).isEqualTo(1);
    }

    @Test
    void whenIdTokenIsForgedTamperedOrExpired_thenInactive() throws Exception {
        String idToken = askForCredential(holderJwt(ANALYST, "agreement-analysts")).json().path("id_token").asText();
        String[] parts = idToken.split("\\.");
        com.fasterxml.jackson.databind.node.ObjectNode payload =
                (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        payload.put("sub", "agreement-auditors");
        String tampered = parts[0] + "." + HolderJwts.part(payload) + "." + parts[2];
        for (String t : List.of(tampered, "not-a-jwt", holderJwt(ANALYST, "agreement-analysts"))) {
            Http.Res r = http.postJson("/api/v1/gateway/credentials/verify", Map.of("id_token", t));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("active").asBoolean()).as(t).isFalse();
        }
        s.clock.advance(java.time.Duration.ofHours(2));
        try {
            assertThat(http.postJson("/api/v1/gateway/credentials/verify", Map.of("id_token", idToken)).json().path("active").asBoolean()).isFalse();
        } finally {
            s.clock.advance(java.time.Duration.ofSeconds(1));
        }
    }

    @Test
    void whenTheDirectoryCannotBeReached_thenUnavailableWithoutDetails() {
        Http.Res reg = http.postJson("/api/v1/gateway/services/domain",
                request("Offline DC", "ldap://127.0.0.1:1", Map.of("agreement-offline", "cn=x,dc=offline,dc=org")), "Authorization", ADMIN);
        assertThat(reg.status()).as(reg.toString()).isEqualTo(201);
        Http.Res r = askForCredential(holderJwt(ANALYST, "agreement-offline"));
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.code()).isEqualTo("domain_controller_unavailable");
        assertThat(r.body()).doesNotContain("127.0.0.1").doesNotContain("offline");
    }

    @Test
    void whenRegistrationIsBadOrNotAnAdmin_thenRefused() {
        Map<String, Object> good = request("Other DC", Map.of("agreement-other", "cn=analysts,ou=groups,dc=example,dc=org"));
        for (Map.Entry<String, Object> bad : Map.<String, Object>of("url", "http://127.0.0.1:389", "holder_filter", "(uid=fixed)",
                "base_dn", "not a dn", "subjects", Map.of("bad subject!", "cn=x,dc=org")).entrySet()) {
            @SuppressWarnings("unchecked") Map<String, Object> ldap = new HashMap<>((Map<String, Object>) good.get("ldap"));
            ldap.put(bad.getKey(), bad.getValue());
            Map<String, Object> body = new HashMap<>(good);
            body.put("ldap", ldap);
            Http.Res r = http.postJson("/api/v1/gateway/services/domain", body, "Authorization", ADMIN);
            assertThat(r.status()).as(bad + " → " + r).isEqualTo(400);
        }
        Map<String, Object> badController = new HashMap<>(good);
        badController.put("controller", "0x1234");
        assertThat(http.postJson("/api/v1/gateway/services/domain", badController, "Authorization", ADMIN).status()).isEqualTo(400);
        Http.Res taken = http.postJson("/api/v1/gateway/services/domain",
                request("Again", Map.of("agreement-analysts", "cn=analysts,ou=groups,dc=example,dc=org")), "Authorization", ADMIN);
        assertThat(taken.status()).isEqualTo(409);

        assertThat(s.client().postJson("/api/v1/gateway/services/domain", good).status()).isEqualTo(401);
        People.Person person = People.ready(s, "gw-person", List.of());
        Http personal = s.client();
        People.login(s, personal, person);
        Http.Res notAdmin = personal.postJson("/api/v1/gateway/services/domain", good);
        assertThat(notAdmin.status()).as(notAdmin.toString()).isEqualTo(403);
    }

    @Test
    void whenTheAdminIsOutsideTheAdminNetworks_thenRefused() {
        try (TestServer other = TestServer.start(kind(), Map.of("gateway.admin_networks", "10.0.0.0/8"))) {
            Http.Res r = other.client().postJson("/api/v1/gateway/services/domain",
                    request("Elsewhere", Map.of("agreement-x", "cn=x,dc=org")), "Authorization", ADMIN);
            assertThat(r.status()).as(r.toString()).isEqualTo(403);
            assertThat(r.json().path("detail").asText()).contains("admin networks");
        }
    }
}
