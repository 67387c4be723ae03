// libmicrohttpd for Swift: its variadic entry points (MHD_start_daemon,
// MHD_get_daemon_info, MHD_get_connection_info) behind typed wrappers.
#ifndef WRPC_MHD_SHIM_H
#define WRPC_MHD_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>

typedef enum MHD_Result (*wrpc_mhd_access_handler)(void *cls, struct MHD_Connection *connection,
                                                   const char *url, const char *method, const char *version,
                                                   const char *upload_data, size_t *upload_data_size, void **req_cls);
typedef void (*wrpc_mhd_completed_handler)(void *cls, struct MHD_Connection *connection, void **req_cls,
                                           enum MHD_RequestTerminationCode toe);
/// Sees each request's target as received, before the headers; what it
/// returns becomes the request's first `*req_cls`.
typedef void *(*wrpc_mhd_uri_logger)(void *cls, const char *uri, struct MHD_Connection *connection);

/// Starts a daemon without threads of its own, on a listening socket we
/// made: our event loop waits on its epoll descriptor and calls MHD_run.
/// Connections may be suspended while a Swift task works on the request.
/// With `tls_cert` and `tls_key` (PEM), it speaks HTTPS. `notify` sees each
/// connection start (before any byte is read, and before a TLS handshake)
/// and close. `logger` sees libmicrohttpd's messages (their format strings).
static inline struct MHD_Daemon *wrpc_mhd_start(int listen_fd, int ipv6,
                                                unsigned int connection_limit, unsigned int timeout_seconds,
                                                size_t memory_limit,
                                                wrpc_mhd_access_handler handler, void *handler_cls,
                                                wrpc_mhd_completed_handler completed, void *completed_cls,
                                                const char *tls_cert, const char *tls_key, const char *tls_priorities,
                                                MHD_NotifyConnectionCallback notify, void *notify_cls,
                                                wrpc_mhd_uri_logger uri_logger, void *uri_logger_cls,
                                                MHD_LogCallback logger, void *logger_cls) {
    unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ipv6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem options[] = {
        // First, so that no message goes to libmicrohttpd's own logger.
        { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t) logger, logger_cls },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) completed, completed_cls },
        { MHD_OPTION_CONNECTION_LIMIT, (intptr_t) connection_limit, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t) timeout_seconds, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t) memory_limit, NULL },
        { MHD_OPTION_LISTEN_SOCKET, (intptr_t) listen_fd, NULL },
        { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t) uri_logger, uri_logger_cls },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) notify, notify_cls },
        { MHD_OPTION_END, 0, NULL },
        { MHD_OPTION_END, 0, NULL },
        { MHD_OPTION_END, 0, NULL },
        { MHD_OPTION_END, 0, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    if (tls_cert && tls_key) {
        flags |= MHD_USE_TLS;
        options[8] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) tls_cert };
        options[9] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) tls_key };
        options[10] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_PRIORITIES, 0, (void *) tls_priorities };
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// The daemon's own epoll descriptor, to nest in the loop's.
static inline int wrpc_mhd_epoll_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

/// Milliseconds until MHD_run is due regardless of activity; -1: none.
static inline int64_t wrpc_mhd_timeout_ms(struct MHD_Daemon *daemon) {
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon, &ms) != MHD_YES) return -1;
    return ms > INT64_MAX ? INT64_MAX : (int64_t) ms;
}

/// The client socket of a connection (owned by MHD: never close it).
static inline int wrpc_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/// The length of the request head libmicrohttpd parsed, from the request
/// line's method to the blank line (-1 when it does not say).
static inline int64_t wrpc_mhd_request_header_size(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    return info ? (int64_t) info->header_size : -1;
}

/// The client's IP address as text into `out` ("" when unknown).
static inline void wrpc_mhd_client_address(struct MHD_Connection *connection, char *out, size_t size) {
    out[0] = 0;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr) return;
    const struct sockaddr *address = info->client_addr;
    if (address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *) address)->sin_addr, out, (socklen_t) size);
    } else if (address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) address)->sin6_addr, out, (socklen_t) size);
    }
}

static inline struct MHD_Response *wrpc_mhd_buffer_response(size_t size, const void *data) {
    return MHD_create_response_from_buffer(size, (void *) data, MHD_RESPMEM_MUST_COPY);
}

typedef ssize_t (*wrpc_mhd_reader)(void *cls, uint64_t pos, char *buf, size_t max);
typedef void (*wrpc_mhd_free)(void *cls);

/// A response filled by `reader`: chunked when `size` is negative (unknown),
/// else with that Content-Length.
static inline struct MHD_Response *wrpc_mhd_callback_response(int64_t size, size_t block_size, wrpc_mhd_reader reader,
                                                              void *cls, wrpc_mhd_free free_cls) {
    return MHD_create_response_from_callback(size < 0 ? MHD_SIZE_UNKNOWN : (uint64_t) size, block_size, reader, cls, free_cls);
}

static inline ssize_t wrpc_mhd_end_of_stream(void) { return MHD_CONTENT_READER_END_OF_STREAM; }
static inline ssize_t wrpc_mhd_end_with_error(void) { return MHD_CONTENT_READER_END_WITH_ERROR; }

#endif
