/**
 * What a protected service embeds to take part in IMSM (docs/sdk.md): the service side of the KX1
 * key exchange ({@link io.imsm.sdk.KeyExchangeEndpoint}, mounted with
 * {@link io.imsm.sdk.JdkHttpServerAdapter}), the {@link io.imsm.sdk.SessionKeyStore} it fills, bearer
 * token verification ({@link io.imsm.sdk.TokenVerifier}, IMS keys from a
 * {@link io.imsm.sdk.JwksSource} such as {@link io.imsm.sdk.RemoteJwks}), per-request checks
 * ({@link io.imsm.sdk.RequestGuard}), and the revocation list feed ({@link io.imsm.sdk.RevocationFeed}).
 * {@code MockIms}, for a service's own tests, is in imsm-sdk's test-jar (add it with test scope).
 * The protocol itself is {@code io.imsm.protocol}; nothing here re-implements it.
 */
package io.imsm.sdk;
