import EdgePolicy
import Foundation
import Gateway
import Logging
import TestSupport
import Locking

/// Log lines kept for a test to read: the message and its metadata as text.
final class LogCapture: Sendable {
    let lines = Locked<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let pairs = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            capture.lines.withLock { $0.append("\(event.message) \(pairs.joined(separator: " "))") }
        }
    }
}

/// An edge configuration for tests: API keys `ci` and `ops`, JWTs from `signer`.
func edgeConfig(signer: TestSigner?, apiKeys: String? = "ci:ci-secret-key\nops:ops-secret-key",
                issuer: String = "https://issuer.test", audience: String = "wrpc-gateway") async throws -> EdgeConfig {
    var edge = EdgeConfig()
    let jwt = try await signer.asyncMap { try await JWTVerifier(JWTSettings(jwks: $0.jwks, issuer: issuer, audience: audience)) }
    edge.authenticator = Authenticator(apiKeys: try apiKeys.map { try APIKeys(parsing: $0) }, jwt: jwt)
    return edge
}

/// Claims a test token starts from: valid for five minutes.
func tokenClaims(_ extra: [String: Any] = [:]) -> [String: Any] {
    let now = Int(Date().timeIntervalSince1970)
    return ["sub": "alice", "iss": "https://issuer.test", "aud": "wrpc-gateway", "exp": now + 300, "nbf": now - 5]
        .merging(extra) { $1 }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

extension Reply {
    /// The error body's `code`, if this is one.
    var errorCode: String? {
        guard case .object(let members)? = json, case .string(let code)? = members.first(where: { $0.0 == "code" })?.1 else { return nil }
        return code
    }
}

/// A metric's value from a Prometheus exposition, by its full series name.
func metric(_ exposition: String, _ series: String) -> Double? {
    exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
}
