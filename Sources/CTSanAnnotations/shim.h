// ThreadSanitizer's happens-before annotations, declared weak: they exist
// only when the TSan runtime is linked, and are null otherwise.
#ifndef WRPC_TSAN_ANNOTATIONS_H
#define WRPC_TSAN_ANNOTATIONS_H

extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));

static inline void wrpc_tsan_acquire(void *addr) {
    if (__tsan_acquire) __tsan_acquire(addr);
}

static inline void wrpc_tsan_release(void *addr) {
    if (__tsan_release) __tsan_release(addr);
}

#endif
