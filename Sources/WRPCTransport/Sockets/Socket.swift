#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import Synchronization

/// A non-blocking stream socket. Reads and writes suspend on the poller
/// when the kernel has nothing to give or no room to take.
final class Socket: Sendable {
    private let descriptor: Mutex<Int32>

    init(fd: Int32) {
        descriptor = Mutex(fd)
    }

    /// The descriptor, or `.closed` once `close()` ran.
    private var fd: Int32 {
        get throws {
            let fd = descriptor.withLock { $0 }
            guard fd >= 0 else { throw SocketError.closed }
            return fd
        }
    }

    /// Reads up to `maximum` bytes; an empty result is the end of the stream.
    func read(maximum: Int = 64 << 10) async throws -> [UInt8] {
        while true {
            let fd = try fd
            var n = 0
            let buffer = [UInt8](unsafeUninitializedCapacity: maximum) { raw, count in
                n = Glibc.read(fd, raw.baseAddress, maximum)
                count = max(n, 0)
            }
            if n >= 0 { return buffer }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                try await Poller.shared.wait(fd, for: .read)
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
    /// poller, so a closed peer is an EPIPE error here, not a signal.)
    func write(_ head: [UInt8], _ body: [UInt8]) async throws {
        var offset = 0
        let total = head.count + body.count
        while offset < total {
            let fd = try fd
            let n: Int = head.withUnsafeBytes { h in
                body.withUnsafeBytes { b in
                    var parts = [iovec](repeating: iovec(), count: 2)
                    var count: Int32 = 0
                    if offset < head.count {
                        parts[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: h.baseAddress! + offset), iov_len: head.count - offset)
                        parts[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: body.count)
                        count = body.isEmpty ? 1 : 2
                    } else {
                        let at = offset - head.count
                        parts[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress! + at), iov_len: body.count - at)
                        count = 1
                    }
                    return Glibc.writev(fd, parts, count)
                }
            }
            if n >= 0 {
                offset += n
                continue
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                try await Poller.shared.wait(fd, for: .write)
            } else if code != EINTR {
                throw SocketError.system("writev", code)
            }
        }
    }

    /// Half-closes: the peer reads end-of-stream, and can still answer.
    func shutdownWrite() {
        if let fd = try? fd { shutdown(fd, Int32(SHUT_WR)) }
    }

    func close() {
        let fd = descriptor.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        guard fd >= 0 else { return }
        Poller.shared.forget(fd)
        Glibc.close(fd)
    }

    deinit { close() }

    // MARK: - Connecting and listening

    static func connect(_ address: SocketAddress) async throws -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        let socket = Socket(fd: fd)
        if address.family != AF_UNIX { socket.setNoDelay() }
        let r = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if r != 0 {
            let code = errno
            guard code == EINPROGRESS || code == EAGAIN else {
                socket.close()
                throw SocketError.system("connect", code)
            }
            do {
                try await Poller.shared.wait(fd, for: .write)
            } catch {
                socket.close()
                throw error
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 {
                socket.close()
                throw SocketError.system("connect", err)
            }
        }
        return socket
    }

    func setNoDelay() {
        guard let fd = try? fd else { return }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func listen(_ address: SocketAddress, backlog: Int32 = 1024) throws -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        let socket = Socket(fd: fd)
        if address.family != AF_UNIX {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let code = errno
            socket.close()
            throw SocketError.system("bind \(address)", code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            socket.close()
            throw SocketError.system("listen", code)
        }
        return socket
    }

    func accept() async throws -> Socket {
        while true {
            let fd = try fd
            let client = wrpc_accept(fd)
            if client >= 0 {
                let s = Socket(fd: client)
                s.setNoDelay()
                return s
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                try await Poller.shared.wait(fd, for: .read)
            } else if code == EMFILE || code == ENFILE {
                // Out of descriptors: back off rather than spin.
                try await Task.sleep(for: .milliseconds(10))
            } else if code != EINTR && code != ECONNABORTED {
                throw SocketError.system("accept", code)
            }
        }
    }

    /// The port a TCP listener is bound to (for port 0).
    var localPort: Int? {
        guard let fd = try? fd else { return nil }
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
}
