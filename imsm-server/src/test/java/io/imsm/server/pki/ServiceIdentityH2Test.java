package io.imsm.server.pki;

import io.imsm.server.support.TestDatabases;

class ServiceIdentityH2Test extends ServiceIdentityContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
