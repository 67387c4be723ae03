/// The forwards by prefix, longest first, and which one a request goes to.
/// The gateway's own endpoints keep priority over every forward.
struct ForwardTable: Sendable {
    let routes: [ForwardRoute]

    struct Match: Sendable {
        /// Index into `routes` (and the gateway's forward pools).
        let index: Int
        let route: ForwardRoute
        /// The target without the prefix, starting with `/`.
        let pathWithQuery: String
    }

    init(_ routes: [ForwardRoute]) throws {
        for r in routes {
            guard r.prefix.hasPrefix("/"), !r.prefix.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "?") || $0 >= 0x7F }) else {
                throw GatewaySetupError("--forward \(r.prefix): a prefix is a path starting with `/`, without spaces or `?`")
            }
            guard !r.urls.isEmpty else { throw GatewaySetupError("--forward \(r.prefix): no backend URL") }
        }
        let prefixes = routes.map(\.prefix)
        if let twice = prefixes.first(where: { p in prefixes.filter { $0 == p }.count > 1 }) {
            throw GatewaySetupError("--forward \(twice) is given twice; list several URLs as PREFIX=URL1,URL2")
        }
        self.routes = routes.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    var isEmpty: Bool { routes.isEmpty }

    /// Paths the gateway answers itself, whatever the forwards.
    static func isFixed(_ path: String) -> Bool {
        if path.hasPrefix("/invoke/") { return true }
        switch path {
        case "/healthz", "/readyz", "/metrics", "/functions", "/openapi.json": return true
        default: return false
        }
    }

    /// The forward for a request: `path` is the decoded path (for the fixed
    /// endpoints), `target` the request target as sent (matched against the
    /// prefixes, and passed on without the prefix).
    func match(path: String, target: String) -> Match? {
        guard !routes.isEmpty, !Self.isFixed(path) else { return nil }
        let target = target.isEmpty ? path : target
        let bytes = target.utf8
        for (i, r) in routes.enumerated() {
            let prefix = r.prefix.utf8
            guard bytes.starts(with: prefix) else { continue }
            // Whole segments only: `/api` takes `/api`, `/api/…` and
            // `/api?…`, not `/apix`; a prefix ending in `/` takes what follows.
            let rest = bytes.dropFirst(prefix.count)
            if r.prefix.hasSuffix("/") || rest.isEmpty || rest.first == UInt8(ascii: "/") || rest.first == UInt8(ascii: "?") {
                let remainder = String(decoding: rest, as: UTF8.self)
                return Match(index: i, route: r, pathWithQuery: remainder.hasPrefix("/") ? remainder : "/" + remainder)
            }
        }
        return nil
    }
}
