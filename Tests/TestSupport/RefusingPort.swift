#if canImport(Glibc)
import Glibc
#endif

/// A loopback port bound but not listening: connecting to it is refused at
/// once, and nothing else can take the port while this holds it (no race
/// with a port closed and reused by a test beside).
public final class RefusingPort: Sendable {
    private let fd: Int32
    public let port: Int

    /// Binds `port` (0: any free one). A given port may still have
    /// connections in TIME_WAIT from a listener that was there.
    public init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RefusingPortError() }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw RefusingPortError()
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    public var url: String { "tcp://127.0.0.1:\(port)" }

    deinit { close(fd) }
}

struct RefusingPortError: Error {}
