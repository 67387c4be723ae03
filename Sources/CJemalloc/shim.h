// jemalloc's control interface behind typed wrappers. Only `mallctl` is
// declared: <jemalloc/jemalloc.h> would declare malloc and friends a second
// time beside glibc's headers in the same Swift module graph.
#ifndef WRPC_JEMALLOC_SHIM_H
#define WRPC_JEMALLOC_SHIM_H

#include <stddef.h>
#include <stdint.h>

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

/// jemalloc's version string ("5.3.0-0-g…"), or NULL.
static inline const char *wrpc_jemalloc_version(void) {
    const char *version = NULL;
    size_t len = sizeof version;
    return mallctl("version", &version, &len, NULL, 0) == 0 ? version : NULL;
}

/// Bytes in pages jemalloc holds free but has not yet given back (its
/// "dirty" pages, over all arenas), as of now: the statistics are a
/// snapshot taken when the epoch advances.
static inline size_t wrpc_jemalloc_dirty_bytes(void) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);
    size_t pages = 0, page = 0;
    len = sizeof pages;
    // 4096 is MALLCTL_ARENAS_ALL: the sum over every arena.
    if (mallctl("stats.arenas.4096.pdirty", &pages, &len, NULL, 0) != 0) return 0;
    len = sizeof page;
    if (mallctl("arenas.page", &page, &len, NULL, 0) != 0) return 0;
    return pages * page;
}

/// Gives every arena's unused dirty pages back to the kernel now, instead
/// of over the decay time (10 s by default, and only while the process
/// allocates: an idle process would keep a burst's pages).
static inline void wrpc_jemalloc_purge(void) {
    mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
}

#endif
