// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic,
// so each argument type gets a typed wrapper.
#ifndef WRPC_CURL_SHIM_H
#define WRPC_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*wrpc_curl_data_callback)(char *data, size_t size, size_t count, void *user);

static inline CURLcode wrpc_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wrpc_curl_set_callback(CURL *h, CURLoption o, wrpc_curl_data_callback v) { return curl_easy_setopt(h, o, v); }

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
