@testable import Gateway
import Locking

/// What an origin was asked for: each request's target as it arrived (before
/// the origin's own percent-decoding) and its `Host`. Answers 200 with the
/// target as the body.
final class OriginLog: Sendable {
    /// Apart from the log, which the origin's route holds: the origin must not hold the log.
    private final class Entries: Sendable {
        let list = Locked<[(target: String, host: String)]>([])
    }

    private let entries = Entries()
    let origin: Origin

    var targets: [String] { entries.list.withLock { $0.map(\.target) } }
    var hosts: [String] { entries.list.withLock { $0.map(\.host) } }

    init() throws {
        let entries = self.entries
        origin = try Origin { request, sink in
            entries.list.withLock { $0.append((request.target, request.header("host") ?? "")) }
            if request.path == "/public/hop" {
                // A relative redirect out of the prefix, by dot segments.
                try? await sink.respond(HTTPResponse(status: 302, headers: [("Location", "/public/../admin")]))
            } else {
                try? await sink.respond(HTTPResponse(status: 200, body: Array(request.target.utf8)))
            }
        }
    }

    func clear() { entries.list.withLock { $0 = [] } }
    func stop() async { await origin.stop() }
}

/// Request paths that some origin resolves to `/admin`, although they begin
/// with `/public/`: dot segments plain, percent-encoded and mixed.
let dotSegmentEscapes = [
    "/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2E/admin", "/public/.%2e/admin", "/public/./../admin",
    "/public/x/../../admin", "/public/%2e/%2e%2e/admin", "/public/..", "/public/../admin?q=1",
]

/// Dot segments that RFC 3986 does not resolve but some origins do: refused outright.
let ambiguousDotSegments = ["/public/..%2Fadmin", "/public/..%2fadmin", "/public/..%5Cadmin", "/public/..;/admin", "/public/%2e%2e;x/admin"]
