package io.imsm.server.apitoken;

import io.imsm.server.support.TestDatabases;

/** The API token contract on PostgreSQL (revocations are also polled from the history there). */
class ApiTokensPostgresTest extends ApiTokensContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
