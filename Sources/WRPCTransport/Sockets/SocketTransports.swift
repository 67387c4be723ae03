#if canImport(Glibc)
import Glibc
#endif
import EventLoops

/// A socket connection as a `ByteStream`.
struct SocketStream: ByteStream {
    let socket: Socket

    func read() async throws -> [UInt8] { try await socket.read() }
    func write(_ bytes: [UInt8]) async throws { try await socket.write(bytes) }
    func write(_ head: [UInt8], _ body: [UInt8]) async throws { try await socket.write(head, body) }
    func closeWrite() async throws { socket.shutdownWrite() }
    func close() { socket.close() }
}

/// `tcp://host:port`: one TCP connection per invocation, IPv4 or IPv6.
public struct TCPTransport: ClientTransport {
    public let host: String
    public let port: Int
    public var target: String { host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)" }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init(url: TransportURL) throws {
        guard !url.host.isEmpty, let port = url.port else {
            throw TransportURLError.invalid("`\(url)`: expected tcp://host:port")
        }
        self.init(host: url.host, port: port)
    }

    public func connect() async throws -> any ByteStream {
        try await open(deadline: nil)
    }

    public func connect(deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        try await open(deadline: deadline)
    }

    private func open(deadline: ContinuousClock.Instant?) async throws -> any ByteStream {
        let addresses: [SocketAddress]
        do {
            addresses = try await resolved()
        } catch {
            throw ConnectError.unavailable("\(target): \(error)")
        }
        var last: (any Error)?
        for address in addresses {
            do {
                return SocketStream(socket: try await Socket.connect(address, deadline: deadline))
            } catch let error as CancellationError {
                throw error
            } catch {
                last = error
            }
        }
        throw ConnectError.unavailable("\(target): \(last.map { "\($0)" } ?? "no address")")
    }

    /// A numeric host needs no lookup; a name is looked up by getaddrinfo,
    /// which blocks, so that runs on the global pool rather than a loop.
    private func resolved() async throws -> [SocketAddress] {
        if let numeric = try? SocketAddress.tcp(host: host, port: port, numericOnly: true) { return numeric }
        let (host, port) = (self.host, self.port)
        return try await withTaskExecutorPreference(globalConcurrentExecutor) {
            try SocketAddress.tcp(host: host, port: port)
        }
    }
}

/// `unix:///path/to.sock`: one Unix-domain connection per invocation.
public struct UnixTransport: ClientTransport {
    public let path: String
    public var target: String { "unix://\(path)" }

    public init(path: String) {
        self.path = path
    }

    init(url: TransportURL) throws {
        guard !url.path.isEmpty else { throw TransportURLError.invalid("`\(url)`: expected unix:///path/to.sock") }
        self.init(path: url.path)
    }

    public func connect() async throws -> any ByteStream {
        try await open(deadline: nil)
    }

    public func connect(deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        try await open(deadline: deadline)
    }

    private func open(deadline: ContinuousClock.Instant?) async throws -> any ByteStream {
        do {
            return SocketStream(socket: try await Socket.connect(try SocketAddress.unix(path), deadline: deadline))
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ConnectError.unavailable("\(target): \(error)")
        }
    }
}

/// The connection could not be made at all.
public enum ConnectError: Error, CustomStringConvertible {
    case unavailable(String)
    public var description: String {
        switch self { case .unavailable(let m): return m }
    }
}

/// A listening socket, TCP or Unix. Every event loop may accept on it, and
/// a connection stays on the loop that accepted it.
public final class SocketListener: ServerTransport {
    let socket: ListeningSocket
    public let address: String
    /// The bound TCP port (useful after binding port 0).
    public let port: Int?
    private let unixPath: String?

    init(socket: ListeningSocket, address: String, port: Int?, unixPath: String?) {
        self.socket = socket
        self.address = address
        self.port = port
        self.unixPath = unixPath
    }

    public static func tcp(host: String, port: Int) throws -> SocketListener {
        guard let address = try SocketAddress.tcp(host: host, port: port).first else {
            throw TransportURLError.invalid("cannot resolve \(host)")
        }
        let socket = try ListeningSocket.listen(address)
        let bound = socket.localPort ?? port
        let shown = host.contains(":") ? "tcp://[\(host)]:\(bound)" : "tcp://\(host):\(bound)"
        return SocketListener(socket: socket, address: shown, port: bound, unixPath: nil)
    }

    public static func unix(path: String) throws -> SocketListener {
        // A stale socket file from an earlier run would make bind fail.
        unlink(path)
        let socket = try ListeningSocket.listen(try SocketAddress.unix(path))
        return SocketListener(socket: socket, address: "unix://\(path)", port: nil, unixPath: path)
    }

    static func tcp(_ url: TransportURL) async throws -> any ServerTransport {
        guard let port = url.port else { throw TransportURLError.invalid("`\(url)`: expected tcp://host:port") }
        return try tcp(host: url.host.isEmpty ? "127.0.0.1" : url.host, port: port)
    }

    static func unix(_ url: TransportURL) async throws -> any ServerTransport {
        try unix(path: url.path)
    }

    public func accept() async throws -> any ByteStream {
        SocketStream(socket: try await socket.accept())
    }

    public func close() {
        socket.close()
        if let unixPath { unlink(unixPath) }
    }
}
