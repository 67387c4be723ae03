#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import EventLoops
import Synchronization
import Locking

/// A non-blocking stream socket owned by one event loop: its readiness is
/// reported by that loop, so a task on the same loop never leaves its thread
/// to read or write.
final class Socket: Sendable {
    private let descriptor: GuardedDescriptor
    let loop: EventLoop
    private let readiness = Readiness()
    /// Bytes moved each way since the last wait: a peer that is always
    /// ready would otherwise keep the loop's thread to itself.
    private let readStreak = Atomic<Int>(0)
    private let readSize = Atomic<Int>(4 << 10)
    private let writeStreak = Atomic<Int>(0)
    /// After this many bytes without waiting, a transfer lets the loop's
    /// other work run before it goes on.
    static let fairShare = 256 << 10

    /// Registers `fd` with `loop` (by default the caller's own).
    init(fd: Int32, loop: EventLoop = .currentOrShared) throws {
        descriptor = GuardedDescriptor(fd)
        self.loop = loop
        do {
            try loop.register(fd, [.read, .write, .hangup, .edge], readiness)
        } catch {
            descriptor.close()
            throw SocketError.system("register with the event loop", EBADF)
        }
    }

    /// Reads up to `maximum` bytes; an empty result is the end of the stream.
    /// The buffer grows while reads fill it and shrinks when they do not, so
    /// small answers do not each allocate (and free) 64 KiB.
    func read(maximum: Int = 64 << 10) async throws -> [UInt8] {
        while true {
            var n = 0
            let size = min(maximum, readSize.load(ordering: .relaxed))
            let buffer = try descriptor.use { fd in
                [UInt8](unsafeUninitializedCapacity: size) { raw, count in
                    n = Glibc.read(fd, raw.baseAddress, size)
                    count = max(n, 0)
                }
            }
            if n == size {
                readSize.store(min(size * 2, 64 << 10), ordering: .relaxed)
            } else if n < size / 4 {
                readSize.store(max(size / 2, 4 << 10), ordering: .relaxed)
            }
            if n >= 0 {
                if readStreak.add(n, ordering: .relaxed).newValue >= Self.fairShare {
                    readStreak.store(0, ordering: .relaxed)
                    await Task.yield()
                }
                return buffer
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                readStreak.store(0, ordering: .relaxed)
                try await readiness.wait(.read)
            } else if code != EINTR {
                throw SocketError.system("read", code)
            }
        }
    }

    func write(_ bytes: some Collection<UInt8> & Sendable) async throws {
        try await write(Array(bytes), [])
    }

    /// Writes `head` and `body` with `writev`, so a large body is not copied
    /// behind its small header. (SIGPIPE is ignored process-wide by the
    /// loops, so a closed peer is an EPIPE error here, not a signal.)
    func write(_ head: [UInt8], _ body: [UInt8]) async throws {
        var offset = 0
        let total = head.count + body.count
        while offset < total {
            let n: Int = try descriptor.use { fd in head.withUnsafeBytes { h in
                body.withUnsafeBytes { b in
                    var parts = (iovec(), iovec())
                    var count: Int32 = 1
                    if offset < head.count {
                        parts.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: h.baseAddress! + offset), iov_len: head.count - offset)
                        parts.1 = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: body.count)
                        count = body.isEmpty ? 1 : 2
                    } else {
                        let at = offset - head.count
                        parts.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress! + at), iov_len: body.count - at)
                    }
                    return withUnsafePointer(to: &parts) {
                        $0.withMemoryRebound(to: iovec.self, capacity: 2) { Glibc.writev(fd, $0, count) }
                    }
                }
            } }
            if n >= 0 {
                offset += n
                continue
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                writeStreak.store(0, ordering: .relaxed)
                try await readiness.wait(.write)
            } else if code != EINTR {
                throw SocketError.system("writev", code)
            }
        }
        if writeStreak.add(total, ordering: .relaxed).newValue >= Self.fairShare {
            writeStreak.store(0, ordering: .relaxed)
            await Task.yield()
        }
    }

    /// Half-closes: the peer reads end-of-stream, and can still answer.
    func shutdownWrite() {
        _ = try? descriptor.use { shutdown($0, Int32(SHUT_WR)) }
    }

    func close() {
        descriptor.close { fd in
            loop.forget(fd)
            readiness.close()
        }
    }

    deinit { close() }

    // MARK: - Connecting

    /// Connects to `address`; with a `deadline`, a connection still pending
    /// then fails with `connectTimedOut`. The deadline is a timer on the
    /// socket's loop that fails the wait, not a task racing the connect: a
    /// second task per call cost a thread wake-up (a pool's connect timeout
    /// added 60 µs to every call that way on AMD EPYC).
    static func connect(_ address: SocketAddress, deadline: ContinuousClock.Instant? = nil) async throws -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        let socket = try Socket(fd: fd)
        if address.family != AF_UNIX { setNoDelay(fd) }
        let r = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if r != 0 {
            let code = errno
            guard code == EINPROGRESS || code == EAGAIN else {
                socket.close()
                throw SocketError.system("connect", code)
            }
            let readiness = socket.readiness
            // Under one lock with the timer, so that it cannot fail a later
            // write wait once the connect is over.
            let pending = Locked<Bool>(true)
            let timer = deadline.map { at in
                socket.loop.schedule(at: at) {
                    pending.withLock { if $0 { readiness.failWrite(SocketError.connectTimedOut) } }
                }
            }
            defer {
                pending.withLock { $0 = false }
                timer?.cancel()
                readiness.clearFailure()
            }
            do {
                if let deadline, ContinuousClock.now >= deadline { throw SocketError.connectTimedOut }
                try await readiness.wait(.write)
            } catch {
                socket.close()
                throw error
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            // The connect may have been given up meanwhile (closed).
            try socket.descriptor.use { _ = getsockopt($0, SOL_SOCKET, SO_ERROR, &err, &len) }
            if err != 0 {
                socket.close()
                throw SocketError.system("connect", err)
            }
        }
        return socket
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// A listening socket that every loop may accept on: each loop that calls
/// `accept()` watches it too (exclusively, so a new connection wakes one
/// loop), and the connection belongs to the loop that took it.
final class ListeningSocket: Sendable {
    private let descriptor: GuardedDescriptor
    private let watchers = Locked<[ObjectIdentifier: (EventLoop, Readiness)]>([:])

    init(fd: Int32) {
        descriptor = GuardedDescriptor(fd)
    }

    static func listen(_ address: SocketAddress, backlog: Int32 = 1024) throws -> ListeningSocket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        if address.family != AF_UNIX {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError.system("bind \(address)", code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError.system("listen", code)
        }
        return ListeningSocket(fd: fd)
    }

    /// The caller's loop's view of this socket, registered on first use.
    private func readiness(on loop: EventLoop) throws -> Readiness {
        try watchers.withLock { all in
            if let (_, r) = all[ObjectIdentifier(loop)] { return r }
            let r = Readiness()
            try descriptor.use { fd in
                do {
                    try loop.register(fd, [.read, .edge, .exclusive], r)
                } catch {
                    throw SocketError.system("register the listener", EBADF)
                }
            }
            all[ObjectIdentifier(loop)] = (loop, r)
            return r
        }
    }

    /// Where accepts from outside any loop are watched. Always the same one:
    /// a new connection wakes only one watching loop, and a caller waiting
    /// on another loop's view than the one woken would wait for ever.
    private let home = Locked<EventLoop?>(nil)

    private var callerLoop: EventLoop {
        if let current = EventLoop.current { return current }
        return home.withLock { home in
            if let home { return home }
            let chosen = EventLoopGroup.shared.next()
            home = chosen
            return chosen
        }
    }

    func accept() async throws -> Socket {
        let loop = callerLoop
        let readiness = try readiness(on: loop)
        while true {
            let client = try descriptor.use { wrpc_accept($0) }
            if client >= 0 {
                Socket.setNoDelay(client)
                return try Socket(fd: client, loop: loop)
            }
            let code = errno
            switch AcceptFailure(errno: code) {
            case .wait: try await readiness.wait(.read)
            case .retry: continue
            case .backOff: try await loop.sleep(until: .now + .milliseconds(10))
            case .fatal: throw SocketError.system("accept", code)
            }
        }
    }

    func close() {
        descriptor.close { fd in
            let all = watchers.withLock { w in
                defer { w = [:] }
                return Array(w.values)
            }
            for (loop, readiness) in all {
                loop.deregister(fd)
                readiness.close()
            }
        }
    }

    deinit { close() }

    /// The port a TCP listener is bound to (for port 0).
    var localPort: Int? { try? descriptor.use { boundPort($0) } }
}

/// The port `fd` is bound to, if it is a TCP socket.
func boundPort(_ fd: Int32) -> Int? {
    guard fd >= 0 else { return nil }
    var storage = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let r = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard r == 0 else { return nil }
    switch Int32(storage.ss_family) {
    case AF_INET:
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
    case AF_INET6:
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
    default:
        return nil
    }
}
