#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets that share one TCP port (SO_REUSEPORT): one per event
/// loop, so the kernel spreads new connections over the loops with no
/// thread waking another. A probe bind without the option first makes sure
/// no other process already holds the port, so "address in use" is still
/// reported rather than silently sharing it.
public enum SharedPort {
    /// `count` listening descriptors on `host:port` (0: a free port, the
    /// same for all); the caller owns them.
    public static func listen(host: String, port: Int, count: Int, backlog: Int32 = 1024) throws -> (fds: [Int32], port: Int) {
        guard let address = try SocketAddress.tcp(host: host, port: port, numericOnly: true).first else {
            throw SocketError.system("resolve \(host)", EINVAL)
        }
        var chosen = port
        if port != 0 {
            let probe = try bound(address, reusePort: false)
            Glibc.close(probe)
        }
        var fds: [Int32] = []
        do {
            for i in 0..<count {
                let at = i == 0 ? address : try SocketAddress.tcp(host: host, port: chosen, numericOnly: true)[0]
                let fd = try bound(at, reusePort: true)
                fds.append(fd)
                if i == 0 { chosen = boundPort(fd) ?? port }
                guard Glibc.listen(fd, backlog) == 0 else { throw SocketError.system("listen", errno) }
            }
        } catch {
            for fd in fds { Glibc.close(fd) }
            throw error
        }
        return (fds, chosen)
    }

    private static func bound(_ address: SocketAddress, reusePort: Bool) throws -> Int32 {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError.system("bind \(address)", code)
        }
        return fd
    }
}
