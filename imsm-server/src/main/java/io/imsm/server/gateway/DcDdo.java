package io.imsm.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/**
 * The DC-DDO (docs/gateway.md): {@code @context}, {@code id} (the DID), {@code controller} and one
 * {@code service} entry of type {@code DomainController}. The DID is {@code did:nv:} + hex Keccak-256
 * of the {@link CanonicalJson} form of the {@code service} array, which is why the entry's
 * {@code serviceEndpoint} keeps {@code {did}} literally.
 */
public final class DcDdo {
    public static final String CONTEXT = "https://www.w3.org/ns/did/v1";
    public static final String TYPE = "DomainController";
    public static final String DID_PREFIX = "did:nv:";
    /** The path a DDO resolves at, {@code {did}} kept literally. */
    public static final String ENDPOINT_PATH = "/api/v1/metadata/controller/ddo/{did}";

    private DcDdo() {}

    /** The {@code service} section: one DomainController entry. */
    public static ArrayNode service(String gatewayUrl, String encryptedDc, String datePublished, String description,
                                    EthAddress gateway, String name) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode main = f.objectNode();
        main.put("datePublished", datePublished);
        main.put("description", description);
        main.put("gateway", gateway.checksummed());
        main.put("name", name);
        ObjectNode entry = f.objectNode();
        entry.put("type", TYPE);
        entry.put("index", 0);
        entry.put("serviceEndpoint", gatewayUrl + ENDPOINT_PATH);
        entry.put("encryptedDC", encryptedDc);
        entry.set("main", main);
        return f.arrayNode().add(entry);
    }

    /** {@code did:nv:} + hex Keccak-256 (no {@code 0x}) of the canonical serialization of {@code service}. */
    public static String did(JsonNode service) {
        return DID_PREFIX + Keccak.keccak256Hex(CanonicalJson.write(service).getBytes(StandardCharsets.UTF_8));
    }

    public static ObjectNode ddo(String did, EthAddress controller, ArrayNode service) {
        ObjectNode ddo = JsonNodeFactory.instance.objectNode();
        ddo.put("@context", CONTEXT);
        ddo.put("id", did);
        ddo.put("controller", controller.checksummed());
        ddo.set("service", service);
        return ddo;
    }
}
