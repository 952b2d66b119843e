package io.imsm.server.web;

import io.imsm.server.support.TestDatabases;

/** Same contract on PostgreSQL, where the login limits live in the database (shared by instances). */
class LoginFlowPostgresTest extends LoginFlowContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
