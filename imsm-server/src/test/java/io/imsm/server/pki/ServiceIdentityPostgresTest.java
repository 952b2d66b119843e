package io.imsm.server.pki;

import io.imsm.server.support.TestDatabases;

/** The same on PostgreSQL: join tokens, certificates and revocations live in the shared database. */
class ServiceIdentityPostgresTest extends ServiceIdentityContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
