// libcurl for Swift: curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo
// are variadic, so each argument type gets a typed wrapper.
#ifndef WRPC_CURL_SHIM_H
#define WRPC_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*wrpc_curl_data_callback)(char *data, size_t size, size_t count, void *user);
typedef int (*wrpc_curl_socket_callback)(CURL *easy, curl_socket_t s, int what, void *user, void *socketp);
typedef int (*wrpc_curl_timer_callback)(CURLM *multi, long timeout_ms, void *user);

static inline CURLcode wrpc_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_callback(CURL *h, CURLoption o, wrpc_curl_data_callback v) { return curl_easy_setopt(h, o, v); }

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

#endif
