package io.imsm.server.hooks;

import io.imsm.server.support.TestDatabases;

/** SMS hooks' recipients on the embedded H2 database. */
class SmsRecipientsH2Test extends SmsRecipientsContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.H2; }
}
