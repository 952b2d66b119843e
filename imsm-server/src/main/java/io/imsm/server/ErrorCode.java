package io.imsm.server;

/**
 * Stable error codes. The string is part of the API contract (problem JSON {@code code} member); never
 * rename one, add new ones instead.
 */
public enum ErrorCode {
    INVALID_REQUEST("invalid_request", 400, "The request is not valid"),
    INVALID_CONFIG("invalid_config", 500, "The configuration is not valid"),
    WEAK_PASSWORD("weak_password", 400, "The password does not meet the policy"),
    LOGIN_FAILED("login_failed", 401, "Login failed"),
    OTP_REQUIRED("otp_required", 401, "A second factor is required"),
    LOGIN_LOCKED("login_locked", 429, "Too many login attempts"),
    RATE_LIMITED("rate_limited", 429, "Too many requests"),
    UNAUTHENTICATED("unauthenticated", 401, "Authentication required"),
    INVALID_TOKEN("invalid_token", 401, "The bearer token is not valid"),
    CSRF_FAILED("csrf_failed", 403, "Missing or wrong CSRF token"),
    PASSWORD_CHANGE_REQUIRED("password_change_required", 403, "The password must be changed first"),
    MFA_ENROLLMENT_REQUIRED("mfa_enrollment_required", 403, "A second factor must be enrolled first"),
    FORBIDDEN("forbidden", 403, "Not allowed"),
    NOT_FOUND("not_found", 404, "Not found"),
    METHOD_NOT_ALLOWED("method_not_allowed", 405, "Method not allowed"),
    CONFLICT("conflict", 409, "Conflict with the current state"),
    PAYLOAD_TOO_LARGE("payload_too_large", 413, "The request body is too large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415, "Unsupported content type"),
    KEY_EXCHANGE_FAILED("key_exchange_failed", 502, "The service did not complete the key exchange"),
    UNAVAILABLE("unavailable", 503, "Temporarily unavailable"),
    SERVER_BUSY("server_busy", 503, "The server is busy"),
    INTERNAL("internal_error", 500, "Internal error"),

    // identity gateway (docs/gateway.md)
    HOLDER_NOT_ALLOWED("holder_not_allowed", 403, "The domain controller does not allow this holder this subject"),
    DOMAIN_CONTROLLER_UNAVAILABLE("domain_controller_unavailable", 503, "The domain controller cannot be asked"),
    TOKEN_REPLAYED("token_replayed", 401, "The token was used before"),
    // access requests, approvals and embedded policy rules (docs/approvals.md)
    DENIED_BY_POLICY("denied_by_policy", 403, "Refused by policy"),
    APPROVAL_REQUIRED("approval_required", 409, "This service needs an approval first"),
    SELF_APPROVAL("self_approval", 403, "Nobody approves their own request"),
    NOT_AN_APPROVER("not_an_approver", 403, "Not an approver of this request"),
    REQUEST_EXPIRED("request_expired", 409, "The access request expired"),
    REQUEST_NOT_PENDING("request_not_pending", 409, "The access request was already decided"),
    REQUEST_NOT_APPROVED("request_not_approved", 409, "The access request is not approved"),
    ALREADY_APPROVED("already_approved", 409, "This approver already approved"),
    REQUEST_PICKED_UP("request_picked_up", 409, "The token of this request was already picked up"),
    // Service identity: join tokens, enrollment, client certificates (docs/pki.md)
    INVALID_JOIN_TOKEN("invalid_join_token", 401, "The join token is unknown, used or expired"),
    INVALID_CSR("invalid_csr", 400, "The certificate signing request is not acceptable"),
    CLIENT_CERTIFICATE_REQUIRED("client_certificate_required", 401, "A client certificate is required"),
    CLIENT_CERTIFICATE_INVALID("client_certificate_invalid", 401, "The client certificate was not issued by this CA"),
    CLIENT_CERTIFICATE_EXPIRED("client_certificate_expired", 401, "The client certificate has expired"),
    CLIENT_CERTIFICATE_REVOKED("client_certificate_revoked", 401, "The client certificate was revoked");

    private final String code;
    private final int status;
    private final String title;

    ErrorCode(String code, int status, String title) {
        this.code = code;
        this.status = status;
        this.title = title;
    }

    public String code() { return code; }
    public int status() { return status; }
    public String title() { return title; }
}
