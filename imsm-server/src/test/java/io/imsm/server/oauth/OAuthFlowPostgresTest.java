package io.imsm.server.oauth;

import io.imsm.server.support.TestDatabases;

class OAuthFlowPostgresTest extends OAuthFlowContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
