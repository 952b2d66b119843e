package io.imsm.server.hooks;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * A hook as the admin API takes and shows it (docs/hooks.md). Kind settings are null for other
 * kinds. {@code authToken} and {@code apiToken} are write-only: kept encrypted, never shown.
 *
 * @param template   message text for slack and sms ({@code {{variable}}}, see {@link Templates})
 * @param project    jira: the project key
 * @param issueType  jira: the issue type name
 * @param summary    jira: summary template
 * @param description jira: description template
 * @param username   jira: the account the API token belongs to
 * @param apiToken   jira: API token (write-only)
 * @param accountSid sms: the account id (basic-auth user)
 * @param authToken  sms: the auth token (write-only)
 * @param from       sms: the sending number
 * @param to         sms: {@code user} (the person the event is about) and/or phone numbers
 * @param timeoutMs  decision: the call's deadline
 * @param fail       decision: {@code closed} (no answer = deny, the default) or {@code open}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Hook(String id, String kind, String url, List<String> events, List<String> services,
                   String template, String project, String issueType, String summary, String description,
                   String username, String apiToken, String accountSid, String authToken, String from, List<String> to,
                   Integer timeoutMs, String fail) {
    public static final String WEBHOOK = "webhook";
    public static final String SLACK = "slack";
    public static final String JIRA = "jira";
    public static final String SMS = "sms";
    public static final String DECISION = "decision";
    public static final List<String> KINDS = List.of(WEBHOOK, SLACK, JIRA, SMS, DECISION);

    /** The same hook without its write-only secrets (what is stored as the document and shown). */
    public Hook withoutSecrets() {
        return new Hook(id, kind, url, events, services, template, project, issueType, summary, description, username, null,
                accountSid, null, from, to, timeoutMs, fail);
    }

    /** The secret given with this definition, if any (sms auth token, jira API token). */
    public String givenSecret() {
        return SMS.equals(kind) ? authToken : JIRA.equals(kind) ? apiToken : null;
    }

    @Override
    public String toString() {
        return "Hook[id=" + id + ", kind=" + kind + ", url=" + url + "]";
    }
}
