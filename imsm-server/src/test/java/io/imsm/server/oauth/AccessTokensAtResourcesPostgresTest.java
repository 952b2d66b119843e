package io.imsm.server.oauth;

import io.imsm.server.support.TestDatabases;

class AccessTokensAtResourcesPostgresTest extends AccessTokensAtResourcesContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
