package io.imsm.server.gateway;

import io.imsm.server.support.TestDatabases;

/** The same contract on PostgreSQL: the replay store's duplicate key and the revocation update there. */
class GatewayPostgresTest extends GatewayContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
