package io.imsm.protocol;

import com.nimbusds.jose.jwk.ECKey;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The session-ticket vectors of docs/protocol.md section 14.4: the ticket key recomputed from the
 * service key, a ticket sealed by an independent implementation opened, and tampered or misplaced
 * tickets refused.
 */
class SessionTicketTest {
    static final String SERVICE_KEY = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"transaction-search-key-1\","
            + "\"x\":\"w_lpc19W9HfACV_s6jS-wfPI4Hi5WwZCKQbxjoeQIUg\",\"y\":\"3mpyk6nvmajlyMItqIKD7k0wpoGY89Jz_Si1qkTsSiI\","
            + "\"d\":\"NRilJGidaVfFKHWeted0LGSVDjw8bfqX67-yxztsT4A\"}";
    static final String TICKET_KEY = "8f07dfa9bc8af0de03dcc8e99d7bd7b4a011f41f56dd4a947ed9c2624a663863";
    static final String TICKET = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiYzJWemMybHZiaTEyWldOMGIzSXRNUSIsInR5cCI6Imltc20tdGlja2V0In0"
            + "..AAECAwQFBgcICQoL.DdbcA9lDMmDASjZ37-2VWev-VegqGbX5YrMzh4UMv8w9tye7aipPffm2HikVtpmUC92eizuqFJ4fqzEikYHjYNgnWuVmJ_V3FtGy"
            + "nKxsOVa1kAzCRldEFhq2BT-bNlNp7UxCz8aSJ-tkbtRLMKDl8NyKwFSIKfIn4woo-K2LjCbWWDM1rhz1aLb-WfcHilz5s7ffagsMsEyWKejrW5UyhFrUnmEBl0K"
            + "xBi_UphRSC94rqT7OQESUD4Uk7cRnONvRr1Medhps-2p090tZS2UWcmeckQ.eSHt2kxvUmxckNQiPfQvNQ";

    static SessionTicket.Key key() throws Exception {
        return SessionTicket.key(ECKey.parse(SERVICE_KEY));
    }

    @Test
    void whenTicketKeyDerived_thenItIsTheVector() throws Exception {
        assertThat(HexFormat.of().formatHex(key().bytes())).isEqualTo(TICKET_KEY);
    }

    @Test
    void whenVectorTicketOpened_thenItHoldsTheSessionOfSection12() throws Exception {
        SessionTicket.Contents c = SessionTicket.open(TICKET, ProtocolVectorsTest.SID, key());
        assertThat(HexFormat.of().formatHex(c.keys().macKey())).isEqualTo(ProtocolVectorsTest.MAC_KEY);
        assertThat(HexFormat.of().formatHex(c.keys().encKey())).isEqualTo(ProtocolVectorsTest.ENC_KEY);
        assertThat(c.sessionExpiresAt()).isEqualTo(Instant.ofEpochSecond(ProtocolVectorsTest.SESSION_EXP));
        assertThat(c.subject()).isEqualTo("alice");
        assertThat(c.scope()).isEqualTo("transactions:read");
    }

    @Test
    void whenSealedThenOpened_thenSameSession() throws Exception {
        SessionKeys keys = new SessionKeys(HexFormat.of().parseHex(ProtocolVectorsTest.MAC_KEY), HexFormat.of().parseHex(ProtocolVectorsTest.ENC_KEY));
        String t = SessionTicket.seal(new SessionTicket.Contents("c2lk", keys, Instant.ofEpochSecond(1767229200L), "bob", "a b"),
                key(), new SecureRandom());
        SessionTicket.Contents c = SessionTicket.open(t, "c2lk", key());
        assertThat(c.keys()).isEqualTo(keys);
        assertThat(c.subject()).isEqualTo("bob");
    }

    @Test
    void whenTicketTamperedForAnotherSessionOrKey_thenRefused() throws Exception {
        String[] parts = TICKET.split("\\.", -1);
        char last = parts[3].charAt(10);
        parts[3] = parts[3].substring(0, 10) + (last == 'A' ? 'B' : 'A') + parts[3].substring(11);
        String tampered = String.join(".", parts);
        assertThatThrownBy(() -> SessionTicket.open(tampered, ProtocolVectorsTest.SID, key())).isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> SessionTicket.open(TICKET, "b3RoZXI", key())).isInstanceOf(TokenException.class);
        SessionTicket.Key other = SessionTicket.key(new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256)
                .keyID("transaction-search-key-1").generate());
        assertThatThrownBy(() -> SessionTicket.open(TICKET, ProtocolVectorsTest.SID, other)).isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> SessionTicket.open("x".repeat(SessionTicket.MAX_LENGTH + 1), ProtocolVectorsTest.SID, key()))
                .isInstanceOf(TokenException.class);
    }
}
