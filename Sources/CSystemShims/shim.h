// Linux calls Swift's Glibc module does not expose, behind typed wrappers.
// epoll_event is packed on x86-64, so it never crosses into Swift.
#ifndef WRPC_SYSTEM_SHIM_H
#define WRPC_SYSTEM_SHIM_H

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

static inline int wrpc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Registers (add = 1) or re-arms (add = 0) a one-shot interest.
static inline int wrpc_epoll_arm(int epfd, int fd, int add, int want_read, int want_write) {
    struct epoll_event ev;
    ev.events = EPOLLONESHOT | EPOLLRDHUP | (want_read ? EPOLLIN : 0) | (want_write ? EPOLLOUT : 0);
    ev.data.fd = fd;
    int rc = epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
    // A descriptor closed and reused behind our back is no longer in the set.
    if (rc < 0 && !add && errno == ENOENT) rc = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    return rc;
}

static inline int wrpc_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0);
}

/// Waits for events; fills fds[i] and flags[i] (bit 0 readable, bit 1 writable).
static inline int wrpc_epoll_wait(int epfd, int32_t *fds, uint32_t *flags, int max, int timeout_ms) {
    struct epoll_event events[128];
    if (max > 128) max = 128;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = events[i].events;
        int failed = (e & (EPOLLERR | EPOLLHUP)) != 0;
        fds[i] = events[i].data.fd;
        flags[i] = ((failed || (e & (EPOLLIN | EPOLLRDHUP))) ? 1u : 0u) | ((failed || (e & EPOLLOUT)) ? 2u : 0u);
    }
    return n;
}

/// 1 if the peer closed its side (a read would return end-of-file), else 0.
static inline int wrpc_peer_closed(int fd) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static inline int wrpc_accept(int fd) {
    return accept4(fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#endif
