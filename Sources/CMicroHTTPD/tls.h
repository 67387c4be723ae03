// GnuTLS, as libmicrohttpd uses it for HTTPS: credentials made from PEM
// text, and a connection's session switched to them before its handshake,
// so that new certificates apply to new connections without a restart.
#ifndef WRPC_MHD_TLS_H
#define WRPC_MHD_TLS_H

#include <stddef.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

/// Whether GnuTLS accepts `priorities`: 0, or a GnuTLS error code and, in
/// `error_at`, the offset of the part it refused.
static inline int wrpc_tls_priorities_check(const char *priorities, size_t *error_at) {
    gnutls_priority_t cache;
    const char *err = NULL;
    int r = gnutls_priority_init(&cache, priorities, &err);
    if (r < 0) {
        *error_at = err ? (size_t) (err - priorities) : 0;
        return r;
    }
    gnutls_priority_deinit(cache);
    return 0;
}

/// Certificate credentials from PEM text: the chain and its key (GnuTLS
/// checks that they match) and, when `ca` is not NULL, the authorities
/// client certificates must chain to. 0, or a GnuTLS error code.
static inline int wrpc_tls_credentials(const char *cert, size_t cert_size, const char *key, size_t key_size,
                                       const char *ca, size_t ca_size, gnutls_certificate_credentials_t *out) {
    gnutls_certificate_credentials_t credentials;
    int r = gnutls_certificate_allocate_credentials(&credentials);
    if (r < 0) return r;
    gnutls_datum_t cert_datum = { (unsigned char *) cert, (unsigned int) cert_size };
    gnutls_datum_t key_datum = { (unsigned char *) key, (unsigned int) key_size };
    r = gnutls_certificate_set_x509_key_mem2(credentials, &cert_datum, &key_datum, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r >= 0 && ca) {
        gnutls_datum_t ca_datum = { (unsigned char *) ca, (unsigned int) ca_size };
        r = gnutls_certificate_set_x509_trust_mem(credentials, &ca_datum, GNUTLS_X509_FMT_PEM);
        if (r == 0) r = GNUTLS_E_NO_CERTIFICATE_FOUND;
    }
    if (r < 0) {
        gnutls_certificate_free_credentials(credentials);
        return r;
    }
    *out = credentials;
    return 0;
}

static inline const char *wrpc_tls_error(int code) { return gnutls_strerror(code); }

/// A connection's TLS session; NULL on a plain HTTP daemon.
static inline gnutls_session_t wrpc_mhd_tls_session(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return info ? (gnutls_session_t) info->tls_session : NULL;
}

static inline int wrpc_tls_refuse_peer(gnutls_session_t session) { (void) session; return -1; }

/// Makes a session, before its handshake, use `credentials`; with
/// `require_client`, the handshake fails unless the client presents a
/// certificate that GnuTLS verifies against the credentials' authorities.
/// Should the switch fail, a session that must verify clients refuses
/// every client rather than fall back to the daemon's own credentials.
static inline int wrpc_tls_session_use(gnutls_session_t session, gnutls_certificate_credentials_t credentials,
                                       int require_client) {
    int r = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials);
    if (require_client) {
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
        if (r < 0) gnutls_session_set_verify_function(session, wrpc_tls_refuse_peer);
        else gnutls_session_set_verify_cert(session, NULL, 0);
    }
    return r;
}

#endif
