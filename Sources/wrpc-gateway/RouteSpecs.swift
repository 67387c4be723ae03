/// `--route INSTANCE=URL[,URL…]` values (or `WRPC_GATEWAY_ROUTES`) as each
/// instance's pool of URLs; `--forward PREFIX=URL[,URL…]` the same way. A piece with `=` before any `://` starts a route;
/// a piece without one is one more URL of the route before it, so
/// `a=tcp://x:1,tcp://y:1,b=unix:///s` is two routes, the first with two
/// backends. Repeating an instance adds to its pool.
enum RouteSpecs {
    static func parse(_ specs: [String], flag: String = "--route", key: String = "INSTANCE") throws -> [String: [String]] {
        var routes: [String: [String]] = [:]
        var current: String?
        for piece in specs.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: true) }) {
            let text = piece.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let scheme = text.range(of: "://")?.lowerBound ?? text.endIndex
            if let eq = text[..<scheme].firstIndex(of: "=") {
                let instance = String(text[..<eq])
                let url = String(text[text.index(after: eq)...])
                guard !instance.isEmpty, !url.isEmpty else { throw CLIError("\(flag) \(text): expected \(key)=URL") }
                routes[instance, default: []].append(url)
                current = instance
            } else if let current {
                routes[current, default: []].append(text)
            } else {
                throw CLIError("\(flag) \(text): expected \(key)=URL")
            }
        }
        return routes
    }
}
