#if canImport(Glibc)
import Glibc
#endif
import CSystemShims

/// An IPv4, IPv6 or Unix-domain socket address.
public struct SocketAddress: Sendable, CustomStringConvertible {
    private let storage: [UInt8]
    public let family: Int32
    public let description: String

    static func unix(_ path: String) throws -> SocketAddress {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SocketError.system("unix socket path too long: \(path)", ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let size = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + 1
        let storage = withUnsafeBytes(of: &addr) { Array($0.prefix(size)) }
        return SocketAddress(storage: storage, family: AF_UNIX, description: "unix://\(path)")
    }

    /// Resolves `host` (a name, an IPv4 address or an IPv6 address without
    /// brackets); with `numericOnly`, names are refused.
    public static func tcp(host: String, port: Int, numericOnly: Bool = false) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw SocketError.system("resolve \(host): \(String(cString: gai_strerror(rc)))", EHOSTUNREACH)
        }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let info = p {
            let bytes = Array(UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
            let shown = info.pointee.ai_family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
            out.append(SocketAddress(storage: bytes, family: info.pointee.ai_family, description: "tcp://\(shown)"))
            p = info.pointee.ai_next
        }
        return out
    }

    /// The IP address as text without the port (`10.0.0.5`, `::1`), as a
    /// DNS answer names a host; nil for a Unix-domain address.
    public var numericHost: String? {
        guard family == AF_INET || family == AF_INET6 else { return nil }
        var text = [CChar](repeating: 0, count: 1025)  // NI_MAXHOST
        let rc = withSockAddr { getnameinfo($0, $1, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) }
        guard rc == 0 else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        storage.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(storage.count))
        }
    }
}
