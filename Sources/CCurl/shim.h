// libcurl for Swift: curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo
// are variadic, so each argument type gets a typed wrapper.
#ifndef WRPC_CURL_SHIM_H
#define WRPC_CURL_SHIM_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef size_t (*wrpc_curl_data_callback)(char *data, size_t size, size_t count, void *user);
typedef int (*wrpc_curl_socket_callback)(CURL *easy, curl_socket_t s, int what, void *user, void *socketp);
typedef int (*wrpc_curl_timer_callback)(CURLM *multi, long timeout_ms, void *user);
typedef int (*wrpc_curl_trailer_callback)(struct curl_slist **list, void *user);

static inline CURLcode wrpc_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_callback(CURL *h, CURLoption o, wrpc_curl_data_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_trailer_callback(CURL *h, wrpc_curl_trailer_callback v) { return curl_easy_setopt(h, CURLOPT_TRAILERFUNCTION, v); }
static inline CURLcode wrpc_curl_set_headers(CURL *h, struct curl_slist *list) { return curl_easy_setopt(h, CURLOPT_HTTPHEADER, list); }

/// The multi handle tells the event loop which sockets to watch and when
/// to call back, instead of polling them on a thread of its own.
static inline void wrpc_curl_multi_drive(CURLM *m, wrpc_curl_socket_callback sockets, wrpc_curl_timer_callback timer, void *user) {
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, sockets);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, user);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, user);
}

static inline curl_socket_t wrpc_curl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }

static inline int wrpc_curl_poll_in(void) { return CURL_POLL_IN; }
static inline int wrpc_curl_poll_out(void) { return CURL_POLL_OUT; }
static inline int wrpc_curl_poll_inout(void) { return CURL_POLL_INOUT; }
static inline int wrpc_curl_poll_remove(void) { return CURL_POLL_REMOVE; }
static inline int wrpc_curl_csel_in(void) { return CURL_CSELECT_IN; }
static inline int wrpc_curl_csel_out(void) { return CURL_CSELECT_OUT; }
static inline int wrpc_curl_csel_err(void) { return CURL_CSELECT_ERR; }

static inline long wrpc_curl_info_long(CURL *h, CURLINFO i) {
    long v = 0;
    curl_easy_getinfo(h, i, &v);
    return v;
}

static inline const char *wrpc_curl_info_string(CURL *h, CURLINFO i) {
    char *v = 0;
    curl_easy_getinfo(h, i, &v);
    return v;
}

/// The next finished transfer: its handle and result, or NULL.
static inline CURL *wrpc_curl_next_done(CURLM *m, CURLcode *result) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            *result = msg->data.result;
            return msg->easy_handle;
        }
    }
    return 0;
}

static inline size_t wrpc_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }

/// 1 for an IPv4 address a public egress must not reach: loopback,
/// "this network", private (RFC 1918), carrier-grade NAT, link-local (with
/// cloud metadata at 169.254.169.254), multicast and reserved.
static inline int wrpc_ipv4_is_internal(uint32_t host_order) {
    uint8_t a = host_order >> 24, b = (host_order >> 16) & 0xFF;
    return a == 0 || a == 10 || a == 127 || (a == 100 && (b & 0xC0) == 64) || (a == 169 && b == 254)
        || (a == 172 && (b & 0xF0) == 16) || (a == 192 && b == 168) || a >= 224;
}

/// The same for IPv6: loopback, unspecified, unique-local, link-local,
/// multicast, and IPv4-mapped or -compatible forms of the IPv4 ranges.
static inline int wrpc_ipv6_is_internal(const uint8_t *a) {
    static const uint8_t zero[16] = {0};
    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return 1;
    if ((a[0] & 0xFE) == 0xFC) return 1;
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return 1;
    if (a[0] == 0xFF) return 1;
    int mapped = memcmp(a, zero, 10) == 0 && a[10] == 0xFF && a[11] == 0xFF;
    int compat = memcmp(a, zero, 12) == 0;
    if (mapped || compat) {
        uint32_t v4 = ((uint32_t)a[12] << 24) | ((uint32_t)a[13] << 16) | ((uint32_t)a[14] << 8) | a[15];
        return wrpc_ipv4_is_internal(v4);
    }
    return 0;
}

/// What the connect guard knows and learns for one transfer.
struct wrpc_connect_guard {
    int allow_internal;
    /// Set when a connection was refused because of its address.
    int denied;
};

/// CURLOPT_OPENSOCKETFUNCTION: checks the address curl is about to connect
/// to (after DNS, for every attempt), so neither a name that resolves to an
/// internal address nor a rebinding can get past the policy.
static inline curl_socket_t wrpc_curl_open_guarded(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    struct wrpc_connect_guard *guard = (struct wrpc_connect_guard *)clientp;
    (void)purpose;
    if (!guard->allow_internal) {
        int internal = 0;
        if (address->family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)&address->addr;
            internal = wrpc_ipv4_is_internal(ntohl(in->sin_addr.s_addr));
        } else if (address->family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&address->addr;
            internal = wrpc_ipv6_is_internal(in6->sin6_addr.s6_addr);
        } else {
            internal = 1;
        }
        if (internal) {
            guard->denied = 1;
            return CURL_SOCKET_BAD;
        }
    }
    return socket(address->family, address->socktype, address->protocol);
}

static inline void wrpc_curl_guard_connections(CURL *h, struct wrpc_connect_guard *guard) {
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, wrpc_curl_open_guarded);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, guard);
}
static inline size_t wrpc_curl_readfunc_pause(void) { return CURL_READFUNC_PAUSE; }
static inline size_t wrpc_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }

#endif
