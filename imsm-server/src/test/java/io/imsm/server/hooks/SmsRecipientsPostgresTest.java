package io.imsm.server.hooks;

import io.imsm.server.support.TestDatabases;

/** SMS hooks' recipients on PostgreSQL. */
class SmsRecipientsPostgresTest extends SmsRecipientsContract {
    @Override TestDatabases.Kind kind() { return TestDatabases.Kind.POSTGRES; }
}
