import ComponentValues
import Foundation
import Gateway
import Locking
import Logging
import Testing

/// Values clients control (the path, the method, header values, JWT claims)
/// never write a log line, or a `key=value` field, of their own.
@Suite struct LogForgingTests {
    /// The forged line of the probe: a line break and a field in the path,
    /// a quote in the request id, a control byte in a header the gateway
    /// does not log and one in the method.
    static let requests = [
        "G\u{1}ET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /x%0aFORGED%20identity=key:ci HTTP/1.1\r\nHost: x\r\nX-Request-Id: id\"x=1\r\nConnection: close\r\n\r\n",
        "GET /y%0d%0a2026-01-01T00:00:00+0000%20info%20wrpc-gateway:%20forged HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]

    @Test(arguments: ["text", "json"])
    func requestsCannotForgeLines(format: String) async throws {
        let gateway = try GatewayProcess(["serve", "--wit", "demo/wit", "--target", "tcp://127.0.0.1:9", "--listen", "127.0.0.1:0",
                                          "--log-format", format])
        defer { gateway.stop() }
        let port = try await Self.port(gateway, format: format)
        for request in Self.requests { _ = try? await rawHTTP(port, request) }
        try await GatewayProcess.until(.seconds(30), "the request lines (log: \(gateway.log))") {
            gateway.log.contains("forged") && gateway.log.contains("FORGED")
        }
        let log = gateway.log
        #expect(!log.utf8.contains { $0 < 0x20 && $0 != 0x0A }, "\(log)")
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        if format == "text" {
            // Each line starts with a timestamp, none with the forged one.
            #expect(lines.allSatisfy { $0.first?.isNumber == true }, "\(log)")
            #expect(!lines.contains { $0.hasPrefix("FORGED") || $0.hasPrefix("2026-01-01T00:00:00+0000") }, "\(log)")
            #expect(log.contains(#"path="/x\nFORGED identity=key:ci""#), "\(log)")
            #expect(log.contains(#"request_id="id\"x=1""#), "\(log)")
        } else {
            let objects = try lines.map { try JSONValue(parsing: String($0)) }
            let paths = objects.compactMap { $0["path"]?.stringValue }
            #expect(paths.contains("/x\nFORGED identity=key:ci"), "\(log)")
            #expect(objects.contains { $0["request_id"]?.stringValue == "id\"x=1" }, "\(log)")
        }
    }

    /// The address from the `listening` line, in either format.
    static func port(_ gateway: GatewayProcess, format: String) async throws -> Int {
        guard format == "json" else { return try await gateway.listeningPort() }
        var port: Int?
        try await GatewayProcess.until(.seconds(60), "the gateway to listen (log: \(gateway.log))") {
            let line = gateway.log.split(separator: "\n").first { $0.contains("\"listening\"") }
            port = line.flatMap { try? JSONValue(parsing: String($0)) }?["address"]?.stringValue?.split(separator: ":").last.flatMap { Int($0) }
            return port != nil
        }
        return port!
    }

    /// Whatever reaches metadata or the message: a JWT `sub` with a line
    /// break, a nested value, an error, each kept on its line and in its field.
    @Test func textValuesAreEscaped() {
        let out = Lines()
        var logger = Logger(label: "wrpc-gateway") { TextLogHandler(label: $0, stream: out) }
        logger[metadataKey: "conn"] = "a b"
        logger.info("request \r\n\u{2028}forged", metadata: [
            "identity": "jwt:alice\nFORGED identity=key:ci", "plain": "127.0.0.1:80", "empty": "",
            "list": .array(["x\ny"]), "quoted": #"a"b\c"#, "tab": "\t\u{7F}\u{85}",
        ])
        let text = out.text
        #expect(text.filter { $0 == "\n" }.count == 1, "\(text)")
        #expect(text.contains(#" conn="a b" "#))
        #expect(text.contains(#"identity="jwt:alice\nFORGED identity=key:ci""#), "\(text)")
        #expect(text.contains(" plain=127.0.0.1:80 "))
        #expect(text.contains(#" empty="" "#))
        #expect(text.contains(#" list=""#), "\(text)")
        #expect(text.contains(#" quoted="a\"b\\c" "#), "\(text)")
        #expect(text.contains(#" tab="\t\u{7f}\u{85}" "#), "\(text)")
        #expect(text.hasSuffix(#"request \r\n\u{2028}forged"# + "\n"), "\(text)")
    }

    final class Lines: TextOutputStream, Sendable {
        let written = Locked("")
        var text: String { written.withLock { $0 } }
        func write(_ string: String) { written.withLock { $0 += string } }
    }
}
