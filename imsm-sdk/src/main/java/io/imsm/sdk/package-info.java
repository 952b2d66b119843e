/** What a protected service embeds to take part in IMSM: key exchange, token verification, request guard. */
package io.imsm.sdk;
