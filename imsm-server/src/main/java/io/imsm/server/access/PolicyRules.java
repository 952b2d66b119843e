package io.imsm.server.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Timestamp;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A service's embedded rules in CEL (Google's cel-java): {@code deny_if} expressions over the same
 * input the decision hooks get ({@code user}, {@code service}, {@code scopes}, {@code fields},
 * {@code request}, {@code client_ip}, {@code time}). Each is parsed and type-checked (it must be a
 * bool) when the catalog is applied, so a bad rule is refused with its line and column; compiled
 * programs are cached by expression. Besides the standard functions, {@code ip_in_range(ip, cidr)}
 * tests an address against a range (IPv4 or IPv6). See docs/approvals.md.
 */
public final class PolicyRules {
    public static final int MAX_RULES = 20;
    public static final int MAX_EXPRESSION = 2000;
    public static final int MAX_REASON = 200;
    private static final Pattern CIDR = Pattern.compile("[0-9A-Fa-f:.]{2,45}/[0-9]{1,3}");

    private static final Cel CEL = CelFactory.standardCelBuilder()
            .addVar("user", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("service", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("scopes", ListType.create(SimpleType.STRING))
            .addVar("fields", MapType.create(SimpleType.STRING, SimpleType.STRING))
            .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("client_ip", SimpleType.STRING)
            .addVar("time", SimpleType.TIMESTAMP)
            .addFunctionDeclarations(CelFunctionDecl.newFunctionDeclaration("ip_in_range",
                    CelOverloadDecl.newGlobalOverload("ip_in_range_string_string", SimpleType.BOOL, SimpleType.STRING, SimpleType.STRING)))
            .addFunctionBindings(CelFunctionBinding.from("ip_in_range_string_string", String.class, String.class, PolicyRules::ipInRange))
            .setResultType(SimpleType.BOOL)
            .build();

    private final Cache<String, CelRuntime.Program> programs = Caffeine.newBuilder().maximumSize(2_000).build();

    /** What the rules see: the decision hooks' input, as plain maps, lists and strings. */
    public record Input(Map<String, Object> user, Map<String, Object> service, List<String> scopes, Map<String, String> fields,
                        Map<String, Object> request, String clientIp, Instant time) {}

    /** Parses and type-checks one rule; a bad one is refused naming the rule, its line and column. */
    public void check(int index, ServiceDefinition.Rule rule) {
        String where = "rules[" + index + "]";
        if (rule == null || rule.denyIf() == null || rule.denyIf().isBlank()) {
            throw ImsmException.Invalid.inField("rules", where + ".deny_if is required");
        }
        if (rule.denyIf().length() > MAX_EXPRESSION) {
            throw ImsmException.Invalid.inField("rules", where + ".deny_if is at most " + MAX_EXPRESSION + " characters");
        }
        if (rule.reason() == null || rule.reason().isBlank() || rule.reason().length() > MAX_REASON
                || rule.reason().chars().anyMatch(Character::isISOControl)) {
            throw ImsmException.Invalid.inField("rules", where + ".reason is required: at most " + MAX_REASON
                    + " characters without control characters (people see it when the rule refuses them)");
        }
        program(where, rule.denyIf());
    }

    /**
     * Evaluates the rules in order; the first that holds refuses with 403 {@code denied_by_policy} and
     * its reason. A rule that fails at run time (a missing map key, say) refuses too: closed, not open.
     */
    public void enforce(List<ServiceDefinition.Rule> rules, Input in) {
        if (rules == null || rules.isEmpty()) {
            return;
        }
        Map<String, Object> vars = variables(in);
        for (int i = 0; i < rules.size(); i++) {
            ServiceDefinition.Rule r = rules.get(i);
            Object result;
            try {
                result = program("rules[" + i + "]", r.denyIf()).eval(name -> Optional.ofNullable(vars.get(name)));
            } catch (CelEvaluationException e) {
                throw new ImsmException.Forbidden(ErrorCode.DENIED_BY_POLICY, r.reason() + " (the rule could not be evaluated: "
                        + e.getMessage() + ")");
            }
            if (Boolean.TRUE.equals(result)) {
                throw new ImsmException.Forbidden(ErrorCode.DENIED_BY_POLICY, r.reason());
            }
        }
    }

    private CelRuntime.Program program(String where, String expression) {
        CelRuntime.Program cached = programs.getIfPresent(expression);
        if (cached != null) {
            return cached;
        }
        CelValidationResult compiled = CEL.compile(expression);
        if (compiled.hasError()) {
            CelIssue first = compiled.getErrors().get(0);
            var loc = first.getSourceLocation();
            throw ImsmException.Invalid.inField("rules", where + ".deny_if does not compile at line " + loc.getLine() + ", column "
                    + (loc.getColumn() + 1) + ": " + first.getMessage());
        }
        try {
            CelAbstractSyntaxTree ast = compiled.getAst();
            CelRuntime.Program p = CEL.createProgram(ast);
            programs.put(expression, p);
            return p;
        } catch (CelValidationException | CelEvaluationException e) {
            throw ImsmException.Invalid.inField("rules", where + ".deny_if: " + e.getMessage());
        }
    }

    private static Map<String, Object> variables(Input in) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("user", in.user());
        v.put("service", in.service());
        v.put("scopes", in.scopes());
        v.put("fields", in.fields());
        v.put("request", in.request());
        v.put("client_ip", in.clientIp() == null ? "" : in.clientIp());
        v.put("time", Timestamp.newBuilder().setSeconds(in.time().getEpochSecond()).setNanos(in.time().getNano()).build());
        return v;
    }

    /** Whether {@code ip} lies in {@code cidr}; false for anything that is not an address literal (no name lookups). */
    static boolean ipInRange(String ip, String cidr) {
        if (ip == null || cidr == null || !CIDR.matcher(cidr).matches() || !literal(ip)) {
            return false;
        }
        int slash = cidr.indexOf('/');
        String net = cidr.substring(0, slash);
        if (!literal(net)) {
            return false;
        }
        try {
            byte[] a = InetAddress.getByName(ip).getAddress();
            byte[] n = InetAddress.getByName(net).getAddress();
            int bits = Integer.parseInt(cidr.substring(slash + 1));
            if (a.length != n.length || bits > a.length * 8) {
                return false;
            }
            int total = a.length * 8;
            BigInteger mask = bits == 0 ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftLeft(total - bits);
            return new BigInteger(1, a).and(mask).equals(new BigInteger(1, n).and(mask));
        } catch (UnknownHostException | NumberFormatException e) {
            return false;
        }
    }

    /** Only address literals reach InetAddress, which would otherwise look names up. */
    private static boolean literal(String s) {
        return s.length() <= 45 && (s.contains(":") ? s.matches("[0-9A-Fa-f:.]+") : s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"));
    }
}
