import Synchronization

#if WRPC_TSAN
import CTSanAnnotations

/// `Mutex` as ThreadSanitizer can see it. Swift's `Mutex` locks with
/// atomics and futex calls inside the uninstrumented standard library, so
/// TSan sees no order between two holders and reports every guarded access
/// as a race (an eight-line program with one `Mutex` and two threads shows
/// it on Swift 6.3). Built with `-Xswiftc -DWRPC_TSAN` (scripts/tsan.sh),
/// each lock also tells TSan it acquired and released its token.
public struct Locked<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    private let mutex: Mutex<Value>
    private let token = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    public init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    deinit { token.deallocate() }

    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            wrpc_tsan_acquire(token)
            defer { wrpc_tsan_release(token) }
            return try body(&value)
        }
    }
}
#else
/// The lock every module uses: `Mutex` itself, except in ThreadSanitizer
/// builds (`-DWRPC_TSAN`), where it is a `Mutex` TSan can see.
public typealias Locked<Value: ~Copyable> = Mutex<Value>
#endif
