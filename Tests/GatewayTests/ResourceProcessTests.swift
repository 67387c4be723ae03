import ComponentValues
import Foundation
import Testing

/// Resource affinity with real processes: `demo-backend`s behind a pool,
/// killed; `serve` replicas sharing `--resource-key-file`.
@Suite(.serialized) struct ResourceProcessTests {
    /// A `demo-backend` process on a loopback TCP port.
    static func backend() async throws -> (process: GatewayProcess, url: String) {
        let process = try GatewayProcess(["demo-backend", "--listen", "tcp://127.0.0.1:0", "--threads", "1"])
        do {
            return (process, "tcp://127.0.0.1:\(try await process.listeningPort())")
        } catch {
            process.stop()
            throw error
        }
    }

    /// `serve` in front of `targets`, with these extra arguments.
    static func gateway(_ targets: [String], _ extra: [String],
                        environment: [String: String] = [:]) async throws -> (process: GatewayProcess, port: Int) {
        let process = try GatewayProcess(["serve", "--wit", "demo/wit", "--target", targets.joined(separator: ","),
                                          "--listen", "127.0.0.1:0", "--threads", "1", "--balance", "round-robin"] + extra,
                                         environment: environment)
        do {
            return (process, try await process.listeningPort())
        } catch {
            process.stop()
            throw error
        }
    }

    static func keyFile(_ secret: String) throws -> String {
        let path = NSTemporaryDirectory() + "gw-resource-key-\(UUID().uuidString.prefix(8))"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Opens buckets until both backends hold some; each is set `k` = its name.
    static func buckets(_ port: Int, _ urls: [String]) async throws -> [(token: String, name: String, member: String)] {
        var made: [(String, String, String)] = []
        for i in 0..<40 {
            let name = "aff-\(i)"
            let open = try await post(port, keyvalue, "open", "{\"identifier\":\(quoted(name))}")
            let token = try #require(open.json?["val"]?.stringValue, "\(open.text)")
            let member = try #require(tokenMember(token), "not a token: \(token)")
            #expect(urls.contains(member))
            let set = try await post(port, keyvalue, "bucket.set",
                                     "{\"self\":\(quoted(token)),\"key\":\"k\",\"value\":\(quoted(Data(name.utf8).base64EncodedString()))}")
            #expect(set.text == "{\"tag\":\"ok\"}", "\(set.text)")
            made.append((token, name, member))
            if urls.allSatisfy({ u in made.contains { $0.2 == u } }) { break }
        }
        return made
    }

    static func get(_ port: Int, _ token: String) async throws -> Reply {
        try await post(port, keyvalue, "bucket.get", "{\"self\":\(quoted(token)),\"key\":\"k\"}")
    }

    static func expectValue(_ reply: Reply, _ name: String) {
        #expect(reply.text == "{\"tag\":\"ok\",\"val\":\(quoted(Data(name.utf8).base64EncodedString()))}", "\(reply.status) \(reply.text)")
    }

    /// Set on one backend process, get always from the same; once that
    /// process is killed, 503 naming it (never an answer from the other).
    @Test func affinityAcrossTwoBackendProcesses() async throws {
        let backends = [try await Self.backend(), try await Self.backend()]
        defer { for b in backends { b.process.stop() } }
        let urls = backends.map(\.url)
        let gateway = try await Self.gateway(urls, [])
        defer { gateway.process.stop() }
        let made = try await Self.buckets(gateway.port, urls)
        for _ in 0..<6 {
            for bucket in made { Self.expectValue(try await Self.get(gateway.port, bucket.token), bucket.name) }
        }
        backends[0].process.signal(SIGKILL)
        _ = try await backends[0].process.exitStatus(within: .seconds(30))
        for bucket in made {
            let reply = try await Self.get(gateway.port, bucket.token)
            if bucket.member == urls[0] {
                #expect(reply.status == 503, "\(reply.text)")
                #expect(reply.json?["code"]?.stringValue == "unavailable")
                #expect(reply.text.contains(urls[0]), "\(reply.text)")
            } else {
                Self.expectValue(reply, bucket.name)
            }
        }
    }

    /// Two gateway processes with one key file (one given it by the flag, the
    /// other by the variable): a token from either works on
    /// the other and reaches the same backend; one with another key, or with
    /// none (a key of its own), refuses it with 400.
    @Test func tokensWorkAcrossGatewayProcessesSharingAKeyFile() async throws {
        let backends = [try await Self.backend(), try await Self.backend()]
        defer { for b in backends { b.process.stop() } }
        let urls = backends.map(\.url)
        let shared = try Self.keyFile(String(repeating: "s3cret-", count: 6))
        let otherKey = try Self.keyFile(String(repeating: "0th3r-", count: 6))
        defer { for f in [shared, otherKey] { try? FileManager.default.removeItem(atPath: f) } }
        let one = try await Self.gateway(urls, ["--resource-key-file", shared])
        defer { one.process.stop() }
        let two = try await Self.gateway(urls, [], environment: ["WRPC_GATEWAY_RESOURCE_KEY_FILE": shared])
        defer { two.process.stop() }
        let stranger = try await Self.gateway(urls, ["--resource-key-file", otherKey])
        defer { stranger.process.stop() }
        let keyless = try await Self.gateway(urls, [])
        defer { keyless.process.stop() }
        let made = try await Self.buckets(one.port, urls)
        for _ in 0..<3 {
            for bucket in made {
                Self.expectValue(try await Self.get(two.port, bucket.token), bucket.name)
                Self.expectValue(try await Self.get(one.port, bucket.token), bucket.name)
            }
        }
        for gateway in [stranger, keyless] {
            let reply = try await Self.get(gateway.port, made[0].token)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.json?["details"]?["path"]?.stringValue == "/self")
        }
    }

    @Test func aShortKeyFileIsRefusedAtStart() async throws {
        let short = try Self.keyFile("too short")
        defer { try? FileManager.default.removeItem(atPath: short) }
        let process = try GatewayProcess(["serve", "--wit", "demo/wit", "--target", "tcp://127.0.0.1:1",
                                          "--listen", "127.0.0.1:0", "--resource-key-file", short])
        defer { process.stop() }
        #expect(try await process.exitStatus(within: .seconds(60)) != 0)
        #expect(process.log.contains("--resource-key-file"), "\(process.log)")
        #expect(process.log.contains("at least 32"), "\(process.log)")
    }
}
