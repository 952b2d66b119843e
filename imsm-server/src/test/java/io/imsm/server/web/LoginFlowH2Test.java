package io.imsm.server.web;

import io.imsm.server.support.TestDatabases;

class LoginFlowH2Test extends LoginFlowContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
