import WRPCTransport

/// One URL a pool was configured with: a fixed backend, or a hostname whose
/// addresses are the members (looked up again every refresh).
struct Seed: Sendable {
    enum Kind: Sendable {
        case fixed(any ClientTransport)
        case dns(host: String, port: Int)
    }

    let url: String
    let kind: Kind

    init(_ url: String) throws {
        let parsed = try TransportURL(url)
        self.url = url
        if parsed.scheme == "tcp", let port = parsed.port, !parsed.host.isEmpty,
           (try? SocketAddress.tcp(host: parsed.host, port: port, numericOnly: true)) == nil {
            kind = .dns(host: parsed.host, port: port)
        } else {
            kind = .fixed(try Transports.client(for: url))
        }
    }
}
