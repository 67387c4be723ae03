// Linux calls Swift's Glibc module does not expose, behind typed wrappers.
// epoll_event is packed on x86-64, so it never crosses into Swift.
#ifndef WRPC_SYSTEM_SHIM_H
#define WRPC_SYSTEM_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

// GNU extensions, declared here: defining _GNU_SOURCE would change glibc's
// types (fd_set) under Swift's own Glibc module.
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int sched_getaffinity(pid_t pid, size_t size, void *mask);
extern int pthread_setname_np(pthread_t thread, const char *name);

// glibc's allocator thresholds (mallopt is not in Swift's Glibc module);
// a negative value leaves that one as it is.
static inline void wrpc_tune_malloc(int mmap_threshold, int trim_threshold) {
    if (mmap_threshold >= 0) mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    if (trim_threshold >= 0) mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

/// Bytes the allocator holds free (in all arenas), whether or not their
/// pages are still resident.
static inline size_t wrpc_malloc_free_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.fordblks;
}

/// Gives the pages of free allocator memory back to the kernel.
static inline void wrpc_malloc_trim(void) {
    malloc_trim(0);
}

/// The process's resident pages that are not file-backed (/proc/self/statm:
/// resident minus shared), or -1 when it cannot be read. Code pages are
/// left out: running a new path is not growth the allocator can give back.
static inline long wrpc_resident_anonymous_pages(void) {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = buf, *end;
    strtol(p, &end, 10);
    long resident = strtol(end, &p, 10);
    long shared = strtol(p, &end, 10);
    return end == p ? -1 : resident - shared;
}

// Readiness bits as Swift sees them.
#define WRPC_IO_READ 1u
#define WRPC_IO_WRITE 2u
#define WRPC_IO_HANGUP 4u

// Interest bits: what a registration asks epoll for.
#define WRPC_WANT_READ 1u
#define WRPC_WANT_WRITE 2u
#define WRPC_WANT_HANGUP 4u
#define WRPC_WANT_EDGE 8u
#define WRPC_WANT_EXCLUSIVE 16u
#define WRPC_WANT_ONESHOT 32u

static inline int wrpc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

static inline uint32_t wrpc_epoll_mask(uint32_t want) {
    uint32_t e = 0;
    if (want & WRPC_WANT_READ) e |= EPOLLIN;
    if (want & WRPC_WANT_WRITE) e |= EPOLLOUT;
    if (want & WRPC_WANT_HANGUP) e |= EPOLLRDHUP;
    if (want & WRPC_WANT_EDGE) e |= EPOLLET;
    if (want & WRPC_WANT_EXCLUSIVE) e |= EPOLLEXCLUSIVE;
    if (want & WRPC_WANT_ONESHOT) e |= EPOLLONESHOT;
    return e;
}

/// Adds (op = 0) or changes (op = 1) a registration for `fd`.
static inline int wrpc_epoll_set(int epfd, int fd, int op, uint32_t want) {
    struct epoll_event ev;
    ev.events = wrpc_epoll_mask(want);
    ev.data.u64 = (uint64_t)(uint32_t)fd;
    return epoll_ctl(epfd, op == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
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

/// Waits for events; fills fds[i] and flags[i] with WRPC_IO_* bits.
static inline int wrpc_epoll_wait(int epfd, int32_t *fds, uint32_t *flags, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = events[i].events;
        int failed = (e & (EPOLLERR | EPOLLHUP)) != 0;
        fds[i] = (int32_t)events[i].data.u64;
        flags[i] = ((failed || (e & (EPOLLIN | EPOLLRDHUP))) ? WRPC_IO_READ : 0u)
                 | ((failed || (e & EPOLLOUT)) ? WRPC_IO_WRITE : 0u)
                 | ((failed || (e & EPOLLRDHUP)) ? WRPC_IO_HANGUP : 0u);
    }
    return n;
}

static inline int wrpc_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static inline void wrpc_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;
}

static inline void wrpc_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t r = read(fd, &value, sizeof value);
    (void)r;
}

/// CPUs this process may run on (its affinity mask), at least 1.
static inline int wrpc_available_cpus(void) {
    unsigned long mask[16] = {0};
    if (sched_getaffinity(0, sizeof mask, mask) != 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (int)n : 1;
    }
    int n = 0;
    for (int i = 0; i < 16; i++) n += __builtin_popcountl(mask[i]);
    return n > 0 ? n : 1;
}

/// Names the calling thread (at most 15 bytes show) for ps and debuggers.
static inline void wrpc_name_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
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

/// One splice(2) step between a socket and a pipe, without blocking; the
/// bench's relay moves bytes through the kernel with it, never copying them
/// into its own memory. Returns bytes moved, 0 at end of input, -1 (errno).
extern long splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags);
static inline long wrpc_splice(int from, int to, size_t len) {
    return splice(from, 0, to, 0, len, 1u /* MOVE */ | 2u /* NONBLOCK */);
}

/// A non-blocking pipe of `size` bytes of capacity (rounded by the kernel;
/// left at its default when the kernel refuses), or -1.
extern int pipe2(int fds[2], int flags);
static inline int wrpc_sized_pipe(int fds[2], int size) {
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
    (void)fcntl(fds[0], 1031 /* F_SETPIPE_SZ */, size);
    return 0;
}

/// Closes every descriptor from `from` up in a child that posix_spawn
/// starts (glibc 2.34 and later), so the child inherits only its standard
/// ones. Declared here: it is a GNU extension.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
static inline int wrpc_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

#endif
