package io.imsm.server.gateway;

import io.imsm.server.support.TestDatabases;

class GatewayH2Test extends GatewayContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
