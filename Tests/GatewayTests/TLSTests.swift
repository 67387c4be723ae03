import Foundation
import Gateway
import Testing

@Suite struct TLSTests {
    /// A gateway serving copies of the first server certificate from `live`
    /// (copies, so that a reload test can replace them).
    func tlsStack(_ pki: TestPKI, live: String, clientCA: Bool = false, idleTimeout: Int = 30, server: String = "server1",
                  settings: (inout TLSSettings) -> Void = { _ in }) throws -> Stack {
        try FileManager.default.copyItem(atPath: pki.path("\(server).pem"), toPath: "\(live)/live.pem")
        try FileManager.default.copyItem(atPath: pki.path("\(server).key"), toPath: "\(live)/live.key")
        var tls = TLSSettings(certificateFile: "\(live)/live.pem", keyFile: "\(live)/live.key",
                              clientCAFile: clientCA ? pki.path("client-ca.pem") : nil)
        settings(&tls)
        return try Stack {
            $0.tls = tls
            $0.http.idleTimeoutSeconds = idleTimeout
        }
    }

    @Test func callsOverHTTPS() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try tlsStack(pki, live: live)
        defer { Task { await stack.stop() } }
        let base = "https://localhost:\(stack.port)"
        let hello = try await curl(["--cacert", pki.path("ca1.pem"), "--json", #"{"name": "tls"}"#, "\(base)/invoke/\(greeter)/hello"])
        #expect(hello.httpStatus == 200, "\(hello.stderr)")
        #expect(hello.body == "\"Hello, tls!\"")
        // A few MiB each way: the TLS layer's buffering under the loop's epoll.
        let out = NSTemporaryDirectory() + "gw-tls-download-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let download = try await curl(["--cacert", pki.path("ca1.pem"), "-H", "Content-Type: application/json", "-d", #"{"n": 3000000}"#, "-o", out, "\(base)/invoke/\(blobs)/download"])
        #expect(download.httpStatus == 200)
        #expect(FileManager.default.contents(atPath: out)?.count == 3_000_000)
        let blob = NSTemporaryDirectory() + "gw-tls-upload-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: blob) }
        try Data(repeating: 0x61, count: 3_000_000).write(to: URL(fileURLWithPath: blob))
        let upload = try await curl(["--cacert", pki.path("ca1.pem"), "-H", "Content-Type: application/octet-stream",
                                     "--data-binary", "@\(blob)", "\(base)/invoke/\(blobs)/upload"])
        #expect(upload.httpStatus == 200)
        #expect(upload.body.contains("\"bytes\":3000000"))
        // A client that does not trust the certificate stops at the handshake.
        let untrusting = try await curl(["--cacert", pki.path("ca2.pem"), "\(base)/healthz"])
        #expect(untrusting.httpStatus == 0)
        #expect(untrusting.status == 60)
    }

    @Test(.timeLimit(.minutes(1)))
    func plainHTTPOnTheTLSPortIsRefused() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        // An idle timeout far beyond the time limit: the refusal must not wait for it.
        let stack = try tlsStack(pki, live: live, idleTimeout: 600)
        defer { Task { await stack.stop() } }
        await #expect(throws: (any Error).self) { try await http(stack.port, "GET", "/healthz") }
        let plainCurl = try await curl(["http://127.0.0.1:\(stack.port)/healthz"])
        #expect(plainCurl.httpStatus == 0)
        // No request reached the gateway; it still serves HTTPS.
        #expect(!String(decoding: stack.gateway.metrics.exposition(), as: UTF8.self).contains("route=\"healthz\""))
        #expect(try await curl(["--cacert", pki.path("ca1.pem"), "https://localhost:\(stack.port)/healthz"]).httpStatus == 200)
    }

    @Test func mutualTLS() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try tlsStack(pki, live: live, clientCA: true)
        defer { Task { await stack.stop() } }
        let url = "https://localhost:\(stack.port)/healthz"
        let ca = ["--cacert", pki.path("ca1.pem")]
        let alice = try await curl(ca + ["--cert", pki.path("alice.pem"), "--key", pki.path("alice.key"), url])
        #expect(alice.httpStatus == 200, "\(alice.stderr)")
        let anonymous = try await curl(ca + [url])
        #expect(anonymous.httpStatus == 0)
        let mallory = try await curl(ca + ["--cert", pki.path("mallory.pem"), "--key", pki.path("mallory.key"), url])
        #expect(mallory.httpStatus == 0)
        // TLS 1.2, where the server's verdict comes inside the handshake.
        let old = ["--tlsv1.2", "--tls-max", "1.2"]
        #expect(try await curl(ca + old + ["--cert", pki.path("mallory.pem"), "--key", pki.path("mallory.key"), url]).httpStatus == 0)
        #expect(try await curl(ca + old + ["--cert", pki.path("alice.pem"), "--key", pki.path("alice.key"), url]).httpStatus == 200)
    }

    @Test func reloadKeepsOpenConnectionsAndServesTheNewCertificate() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try tlsStack(pki, live: live)
        defer { Task { await stack.stop() } }
        let tls = try #require(stack.gateway.tls)
        let open = try TLSConnection(port: stack.port, caFile: pki.path("ca1.pem"))
        defer { open.close() }
        #expect(try await open.get("/healthz").status == 200)
        // A broken file: the reload fails and the certificate in use stays.
        try "not a certificate".write(toFile: "\(live)/live.pem", atomically: true, encoding: .utf8)
        #expect(throws: GatewaySetupError.self) { try tls.reload() }
        #expect(try await curl(["--cacert", pki.path("ca1.pem"), "https://localhost:\(stack.port)/healthz"]).httpStatus == 200)
        // The second authority's certificate.
        try FileManager.default.removeItem(atPath: "\(live)/live.pem")
        try FileManager.default.removeItem(atPath: "\(live)/live.key")
        try FileManager.default.copyItem(atPath: pki.path("server2.pem"), toPath: "\(live)/live.pem")
        try FileManager.default.copyItem(atPath: pki.path("server2.key"), toPath: "\(live)/live.key")
        try tls.reload()
        let fresh = try await curl(["--cacert", pki.path("ca2.pem"), "https://localhost:\(stack.port)/healthz"])
        #expect(fresh.httpStatus == 200, "\(fresh.stderr)")
        #expect(try await curl(["--cacert", pki.path("ca1.pem"), "https://localhost:\(stack.port)/healthz"]).httpStatus == 0)
        // The connection made before the reload goes on.
        #expect(try await open.get("/functions").status == 200)
        #expect(open.isRunning)
    }

    @Test func unusableFilesAreSaidAtStart() async throws {
        let pki = try await TestPKI.shared()
        let mismatched = TLSSettings(certificateFile: pki.path("server1.pem"), keyFile: pki.path("server2.key"))
        #expect { try TLSContext(mismatched) } throws: { "\($0)".contains("server1.pem") }
        #expect { try TLSContext(TLSSettings(certificateFile: pki.path("none.pem"), keyFile: pki.path("server1.key"))) } throws: {
            "\($0)".contains("--tls-cert") && "\($0)".contains("none.pem")
        }
        let badCA = TLSSettings(certificateFile: pki.path("server1.pem"), keyFile: pki.path("server1.key"), clientCAFile: pki.path("server1.key"))
        #expect(throws: GatewaySetupError.self) { try TLSContext(badCA) }
        var badPriorities = TLSSettings(certificateFile: pki.path("server1.pem"), keyFile: pki.path("server1.key"))
        badPriorities.priorities = "NORMAL:+NO-SUCH-THING"
        #expect { try TLSContext(badPriorities) } throws: { "\($0)".contains("--tls-priorities") && "\($0)".contains("NO-SUCH-THING") }
    }

    /// By default only forward-secret AEAD suites: TLS 1.2 without forward
    /// secrecy (RSA key transport) or with CBC and SHA-1 fails to handshake,
    /// for an RSA and an ECDSA certificate alike; TLS 1.3 and the TLS 1.2
    /// GCM and ChaCha20 suites succeed.
    @Test func onlyForwardSecretAEADSuitesByDefault() async throws {
        let pki = try await TestPKI.shared()
        for (server, refused, accepted) in [
            ("server-rsa", ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"],
             ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]),
            ("server1", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"],
             ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]),
        ] {
            let live = try TestPKI.scratch()
            defer { try? FileManager.default.removeItem(atPath: live) }
            let stack = try tlsStack(pki, live: live, server: server)
            defer { Task { await stack.stop() } }
            for cipher in refused {
                let result = try await handshake(port: stack.port, ["-tls1_2", "-cipher", cipher])
                #expect(result.status != 0, "\(server) \(cipher): \(result.stdout)")
            }
            for cipher in accepted {
                let result = try await handshake(port: stack.port, ["-tls1_2", "-cipher", cipher])
                #expect(result.status == 0, "\(server) \(cipher): \(result.stderr)")
            }
            let tls13 = try await handshake(port: stack.port, ["-tls1_3"])
            #expect(tls13.status == 0, "\(server) TLS 1.3: \(tls13.stderr)")
        }
    }

    /// `--tls-priorities` widens (or narrows) what handshakes may use.
    @Test func prioritiesWiden() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try tlsStack(pki, live: live) { $0.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2" }
        defer { Task { await stack.stop() } }
        let cbc = try await handshake(port: stack.port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"])
        #expect(cbc.status == 0, "\(cbc.stderr)")
        #expect(try await handshake(port: stack.port, ["-tls1_3"]).status != 0)
    }

    /// HSTS only when asked for, and only over HTTPS (plain HTTP has no TLS settings to carry it).
    @Test func strictTransportSecurityWhenSet() async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try tlsStack(pki, live: live) { $0.hstsMaxAge = 31_536_000 }
        defer { Task { await stack.stop() } }
        let base = "https://localhost:\(stack.port)"
        for path in ["/healthz", "/no-such-route", "/invoke/\(greeter)/hello"] {
            let reply = try await curl(["--cacert", pki.path("ca1.pem"), "-D", "-", "\(base)\(path)"])
            #expect(reply.stdout.lowercased().contains("strict-transport-security: max-age=31536000\r\n"), "\(path): \(reply.stdout)")
        }
        let other = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let without = try tlsStack(pki, live: other)
        defer { Task { await without.stop() } }
        let unset = try await curl(["--cacert", pki.path("ca1.pem"), "-D", "-", "https://localhost:\(without.port)/healthz"])
        #expect(unset.httpStatus == 200)
        #expect(!unset.stdout.lowercased().contains("strict-transport-security"))
        let plain = try Stack()
        defer { Task { await plain.stop() } }
        #expect(try await http(plain.port, "GET", "/healthz").header("strict-transport-security") == nil)
    }
}
