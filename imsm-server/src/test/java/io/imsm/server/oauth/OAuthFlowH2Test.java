package io.imsm.server.oauth;

import io.imsm.server.support.TestDatabases;

class OAuthFlowH2Test extends OAuthFlowContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
