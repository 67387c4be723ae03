import Locking

/// One full-duplex byte stream: a wRPC invocation's connection.
public protocol ByteStream: Sendable {
    /// Up to some bytes; empty at the end of the stream.
    func read() async throws -> [UInt8]
    func write(_ bytes: [UInt8]) async throws
    /// Writes `head` then `body`, in one system call where the carrier can.
    func write(_ head: [UInt8], _ body: [UInt8]) async throws
    /// Ends the write side; reading goes on.
    func closeWrite() async throws
    /// Ends both sides; pending reads and writes fail.
    func close()
}

/// How a client reaches a wRPC server: one new byte stream per invocation.
/// Modelled on grpc-swift-2's `ClientTransport`: one small protocol, and the
/// stream is scoped to the closure so it is always closed.
public protocol ClientTransport: Sendable {
    /// A human-readable address, for messages and `/functions`.
    var target: String { get }
    func connect() async throws -> any ByteStream
    /// The same, failing when the connection is not open by `deadline`
    /// (a pool's connect timeout, a probe's).
    func connect(deadline: ContinuousClock.Instant) async throws -> any ByteStream
}

extension ByteStream {
    public func write(_ head: [UInt8], _ body: [UInt8]) async throws {
        try await write(head + body)
    }
}

extension ClientTransport {
    /// Runs `body` with a fresh connection, closing it afterwards.
    public func withStream<R: Sendable>(_ body: (any ByteStream) async throws -> R) async throws -> R {
        let stream = try await connect()
        do {
            let result = try await body(stream)
            stream.close()
            return result
        } catch {
            stream.close()
            throw error
        }
    }
}

/// The server side: accepts one byte stream per invocation.
public protocol ServerTransport: Sendable {
    var address: String { get }
    func accept() async throws -> any ByteStream
    func close()
}

public enum TransportURLError: Error, CustomStringConvertible {
    case invalid(String)
    case unknownScheme(String, known: [String])

    public var description: String {
        switch self {
        case .invalid(let m): return m
        case .unknownScheme(let s, let known):
            return "no transport for scheme `\(s)`; known: \(known.joined(separator: ", "))"
        }
    }
}

/// Transports by URL scheme. `tcp` and `unix` are built in; a third party
/// registers its own scheme once at start-up.
public enum Transports {
    public typealias ClientFactory = @Sendable (TransportURL) throws -> any ClientTransport
    public typealias ServerFactory = @Sendable (TransportURL) async throws -> any ServerTransport

    private static let registry = Locked<(clients: [String: ClientFactory], servers: [String: ServerFactory])>((
        clients: [
            "tcp": { try TCPTransport(url: $0) },
            "unix": { try UnixTransport(url: $0) },
        ],
        servers: [
            "tcp": { try await SocketListener.tcp($0) },
            "unix": { try await SocketListener.unix($0) },
        ]
    ))

    public static func register(scheme: String, client: @escaping ClientFactory, server: ServerFactory? = nil) {
        registry.withLock {
            $0.clients[scheme] = client
            if let server { $0.servers[scheme] = server }
        }
    }

    public static func client(for url: String) throws -> any ClientTransport {
        let parsed = try TransportURL(url)
        let factory = registry.withLock { $0.clients[parsed.scheme] }
        guard let factory else {
            throw TransportURLError.unknownScheme(parsed.scheme, known: registry.withLock { $0.clients.keys.sorted() })
        }
        return try factory(parsed)
    }

    public static func server(for url: String) async throws -> any ServerTransport {
        let parsed = try TransportURL(url)
        let factory = registry.withLock { $0.servers[parsed.scheme] }
        guard let factory else {
            throw TransportURLError.unknownScheme(parsed.scheme, known: registry.withLock { $0.servers.keys.sorted() })
        }
        return try await factory(parsed)
    }
}

/// `scheme://host:port`, `tcp://[::1]:7761`, `unix:///path/to.sock`.
public struct TransportURL: Sendable, CustomStringConvertible {
    public let scheme: String
    /// Host (brackets removed) for host-based schemes; empty otherwise.
    public let host: String
    public let port: Int?
    public let path: String
    public let description: String

    public init(_ text: String) throws {
        guard let sep = text.range(of: "://") else {
            throw TransportURLError.invalid("`\(text)` is not a transport URL: expected scheme://…, e.g. tcp://127.0.0.1:7761 or unix:///tmp/wrpc.sock")
        }
        scheme = String(text[..<sep.lowerBound]).lowercased()
        description = text
        var rest = Substring(text[sep.upperBound...])
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        } else {
            path = ""
        }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw TransportURLError.invalid("`\(text)`: unclosed `[` in the host") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
            if after.hasPrefix(":") && port == nil { throw TransportURLError.invalid("`\(text)`: bad port") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (0...65535).contains(p) else {
                throw TransportURLError.invalid("`\(text)`: bad port")
            }
            port = p
        } else {
            host = String(rest)
            port = nil
        }
    }
}

extension ClientTransport {
    /// By default the connect races a deadline; socket transports bound
    /// the connect itself, which costs no second task.
    public func connect(deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        try await withDeadline(deadline, what: "connecting to \(target)") { try await self.connect() }
    }

    /// Opens and closes one connection; nil when that worked, else why not.
    public func probe(timeout: Duration) async -> String? {
        do {
            let stream = try await connect(deadline: .now + timeout)
            stream.close()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
