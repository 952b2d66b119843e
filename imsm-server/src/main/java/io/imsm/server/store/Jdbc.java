package io.imsm.server.store;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Plain JDBC on a JDBI handle's connection, for the few statements every token request runs (the
 * session authentication, the token-session row, the audit row and the chain head; decision 0021).
 * JDBI's per-statement work (a statement context and a copy of its configuration, named-parameter
 * binding through argument factories, cleanables, result mapping) cost about as much CPU as H2's
 * execution of these statements. The statements stay SQL in the stores, run in the handle's
 * transaction, and are prepared by the driver each time as JDBI does (H2 keeps the parsed command
 * per connection, {@code QUERY_CACHE_SIZE}; the PostgreSQL driver keeps server-prepared statements
 * per connection). Failures are JDBI's {@link UnableToExecuteStatementException}, as before.
 */
final class Jdbc {
    private Jdbc() {}

    /** Sets a statement's parameters. */
    @FunctionalInterface
    interface Params {
        void set(PreparedStatement ps) throws SQLException;
    }

    /** Reads the result (positioned before its first row). */
    @FunctionalInterface
    interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs an insert, update or delete; answers the rows changed. */
    static int update(Handle h, String sql, Params params) {
        try (PreparedStatement ps = h.getConnection().prepareStatement(sql)) {
            params.set(ps);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Runs a statement that answers rows. */
    static <T> T query(Handle h, String sql, Params params, Reader<T> reader) {
        try (PreparedStatement ps = h.getConnection().prepareStatement(sql)) {
            params.set(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    private static UnableToExecuteStatementException failed(String sql, SQLException e) {
        return new UnableToExecuteStatementException("statement failed: " + sql, e, null);
    }
}
