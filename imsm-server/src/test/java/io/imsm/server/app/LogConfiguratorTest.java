package io.imsm.server.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import io.imsm.server.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/** The production logging set-up in code (it replaced logback.xml to save a third of a second at start). */
class LogConfiguratorTest {
    private static String encode(LoggerContext context, String appender, String message) {
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> out = (OutputStreamAppender<ILoggingEvent>) root.getAppender(appender);
        assertThat(out).as(appender + " appender").isNotNull();
        LoggingEvent e = new LoggingEvent(LogConfiguratorTest.class.getName(), context.getLogger("imsm.test"), Level.WARN, message, null, null);
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("user", "eve\"\nlevel=ERROR"));
        return new String(out.getEncoder().encode(e), StandardCharsets.UTF_8);
    }

    @Test
    void whenTheTextFormatIsChosen_thenLinesAreKeyValuesWithRequestValuesEscaped() {
        LoggerContext context = new LoggerContext();
        LogConfigurator.apply(context, "text", "INFO");
        String line = encode(context, "text", "login failed\nlevel=INFO forged");
        assertThat(line).contains("level=WARN logger=test msg=\"login failed\\nlevel=INFO forged\" user=\"eve\\\"\\nlevel=ERROR\"");
        assertThat(line.strip()).doesNotContain("\n");
        assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("org.eclipse.jetty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.flywaydb").getLevel()).isEqualTo(Level.ERROR);
        context.stop();
    }

    @Test
    void whenAValueIsMissing_thenItsKeyIsLeftOutAndTheTextNullStaysATextValue() {
        LoggerContext context = new LoggerContext();
        LogConfigurator.apply(context, "text", "INFO");
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> out = (OutputStreamAppender<ILoggingEvent>) root.getAppender("text");
        LoggingEvent e = new LoggingEvent(LogConfiguratorTest.class.getName(), context.getLogger("imsm.audit"), Level.INFO, "audit", null, null);
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("actor", "null"));
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("ip", null));
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("outcome", "ok"));
        String line = new String(out.getEncoder().encode(e), StandardCharsets.UTF_8);
        assertThat(line).contains("msg=\"audit\" actor=\"null\" outcome=\"ok\"").doesNotContain("ip=");
        context.stop();
    }

    @Test
    void whenTheJsonFormatIsChosen_thenEachEventIsOneJsonObjectOnOneLine() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());   // as logback's service provider does
        LogConfigurator.apply(context, "json", "DEBUG");
        String line = encode(context, "json", "login failed\nsecond line");
        assertThat(line.strip()).doesNotContain("\n");
        assertThat(Json.mapper().readTree(line.strip()).get("message").asText()).isEqualTo("login failed\nsecond line");
        assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.DEBUG);
        context.stop();
    }

    @Test
    void whenLogbackStarts_thenItFindsTheConfiguratorAndTheTestsOwnFileStillWins() {
        assertThat(ServiceLoader.load(Configurator.class, LogConfigurator.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::type)).contains(LogConfigurator.class);
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator();
        configurator.setContext(context);
        // logback-test.xml is on the test class path: logback's own configurators must read it
        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
    }
}
