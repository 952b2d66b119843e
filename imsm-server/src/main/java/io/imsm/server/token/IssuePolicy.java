package io.imsm.server.token;

import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.identity.Caller;

import java.util.List;
import java.util.Map;

/**
 * Asked before a token is issued (the decision hooks, docs/hooks.md): may refuse the request (it
 * throws, with the reason for the person), cap its lifetime, or ask for an approval first.
 */
@FunctionalInterface
public interface IssuePolicy {
    /** What is asked for, after the request passed the catalog's own rules. */
    record Question(Caller caller, ServiceDefinition service, List<String> scopes, Map<String, String> fields,
                    TokenService.RequestLimit request, int ttlSeconds) {}

    /** @param ttlSeconds the lifetime to issue (the asked one or less) */
    record Verdict(int ttlSeconds, boolean requireApproval) {}

    /** Everything allowed as asked: when no decision hook applies. */
    IssuePolicy NONE = q -> new Verdict(q.ttlSeconds(), false);

    Verdict decide(Question question);
}
