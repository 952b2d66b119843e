package io.imsm.server.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.pattern.DynamicConverter;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The server's logging, set up in code instead of a logback.xml: logback reads an XML file with the
 * JDK's parser and applies it through reflection, about 0.3 s of every start (docs/benchmarks.md,
 * start-up). Logback finds this class through {@code META-INF/services}. A
 * {@code logback.configurationFile} system property or a {@code logback-test.xml} on the class path
 * (the tests') still wins: then logback's own configurators run.
 *
 * <p>Structured logs on standard error: key=value pairs ({@code log.format: text}; the message and
 * values escaped by {@link LogEscaping}, so a value from a request cannot end its value or forge a
 * line) or one JSON object per line ({@code json}), chosen through the {@code imsm.log.format}
 * property ({@link Logging}); the level from {@code imsm.log.level} (default INFO). Secrets never
 * reach a logger: services log ids and outcomes only.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String TEXT_PATTERN = "%d{ISO8601,UTC}Z level=%level logger=%logger{0} msg=\"%qmsg\" %qkvp%n%ex{short}";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || LogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context, System.getProperty("imsm.log.format", "text"), System.getProperty("imsm.log.level", "INFO"));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Sets up {@code context}: one console appender named after {@code format} ("text" or "json") on the root logger. */
    public static void apply(LoggerContext context, String format, String level) {
        Map<String, Supplier<DynamicConverter>> rules = new HashMap<>();
        rules.put("qmsg", LogEscaping.Message::new);
        rules.put("qkvp", LogEscaping.KeyValues::new);
        context.putObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS, rules);

        Encoder<ILoggingEvent> encoder;
        if ("json".equals(format)) {
            encoder = new JsonEncoder();
        } else {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern(TEXT_PATTERN);
            encoder = text;
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("json".equals(format) ? "json" : "text");
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();

        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.INFO));
        root.addAppender(appender);
        context.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        context.getLogger("io.javalin").setLevel(Level.WARN);
        context.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
        context.getLogger("org.flywaydb").setLevel(Level.ERROR);
    }
}
