package io.imsm.server.support;

/** The scope mapping (configuration key {@code scopes}, JSON) the token and ingress tests run with. */
public final class TestScopes {
    public static final String MAPPING = "{\"read:data\": [\"analyst\"], \"write:data\": [\"editor\"], \"user:token\": [\"analyst\"], "
            + "\"admin:token\": [\"admin\"]}";

    private TestScopes() {}
}
