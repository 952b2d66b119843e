package io.imsm.server.apitoken;

import io.imsm.server.support.TestDatabases;

/** The API token contract on the embedded H2. */
class ApiTokensH2Test extends ApiTokensContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
