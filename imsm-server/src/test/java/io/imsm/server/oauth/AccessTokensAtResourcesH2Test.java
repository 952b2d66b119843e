package io.imsm.server.oauth;

import io.imsm.server.support.TestDatabases;

class AccessTokensAtResourcesH2Test extends AccessTokensAtResourcesContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
