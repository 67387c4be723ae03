import BackendPool
import ComponentValues
import DemoBackend
import Gateway
import Logging
import Synchronization
import Testing
import TestSupport
import WRPCTransport

/// A gateway on an ephemeral port in front of the given backend URLs.
func poolGateway(_ targets: [String], routes: [String: [String]] = [:],
                 configure: (inout GatewayConfig) -> Void = { _ in }) throws -> Gateway {
    var config = GatewayConfig(targets: targets)
    config.routes = routes
    config.port = 0
    configure(&config)
    let gateway = try Gateway(resolve: try DemoBackend.resolve(), config: config,
                              logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    try gateway.start()
    return gateway
}

/// Pools through HTTP: what a caller sees when backends die or hang, and
/// what `/metrics`, `/readyz` and `/functions` say about them.
@Suite struct PoolTests {
    /// Every backend ejected: a 503 at once, far inside the call deadline.
    @Test func allEjectedIs503AtOnce() async throws {
        let refusing = try [RefusingPort(), RefusingPort()]
        defer { withExtendedLifetime(refusing) {} }
        let dead = refusing.map(\.url)
        let gateway = try poolGateway(dead) { $0.pool.ejectBase = .seconds(60); $0.pool.ejectMax = .seconds(60) }
        let first = try await post(gateway.port, greeter, "hello", "{\"name\":\"x\"}")
        #expect(first.status == 503)
        // "At once" against the deadline, not a wall-clock guess: on a
        // loaded 2-core machine one request took 3.1 s here.
        let deadline = Duration.seconds(30)
        let started = ContinuousClock.now
        let reply = try await post(gateway.port, greeter, "hello", "{\"name\":\"x\"}", headers: [("Wrpc-Timeout-Ms", "30000")])
        #expect(ContinuousClock.now - started < deadline / 3)
        #expect(reply.status == 503)
        #expect(reply.json?["code"]?.stringValue == "unavailable")
        #expect(reply.json?["message"]?.stringValue?.contains("ejected") == true, "\(reply.text)")
        await gateway.shutdown()
    }

    /// Per-backend series, labelled `target`.
    @Test func metricsPerBackend() async throws {
        let replicas = try (0..<2).map { _ in try Replica() }
        let cutter = try MisbehavingBackend(.hangUp)
        defer {
            for r in replicas { r.stop() }
            cutter.stop()
        }
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let dead = refusing.url
        let gateway = try poolGateway(replicas.map(\.url) + [dead, cutter.url]) {
            $0.pool.balance = .roundRobin
            $0.pool.ejectBase = .seconds(60)
            $0.pool.ejectMax = .seconds(60)
        }
        for _ in 0..<12 {
            let reply = try await post(gateway.port, greeter, "hello", "{\"name\":\"m\"}")
            #expect(reply.status == 200 || reply.status == 502, "\(reply.status): \(reply.text)")
        }
        let text = try await http(gateway.port, "GET", "/metrics").text
        let calls0 = replicas[0].calls.load(ordering: .relaxed)
        #expect(calls0 > 0)
        #expect(text.contains("wrpc_gateway_backend_calls_total{target=\"\(replicas[0].url)\"} \(calls0)"), "\(text)")
        #expect(text.contains("wrpc_gateway_backend_errors_total{target=\"\(dead)\",kind=\"connect\"} 1"), "\(text)")
        #expect(text.contains("wrpc_gateway_backend_ejections_total{target=\"\(dead)\"} 1"))
        #expect(text.contains("wrpc_gateway_backend_errors_total{target=\"\(cutter.url)\",kind=\"upstream_protocol\"} \(cutter.calls)"))
        #expect(text.contains("wrpc_gateway_backend_inflight_calls{target=\"\(replicas[1].url)\"} 0"))
        await gateway.shutdown()
    }

    /// Ready while every instance has a healthy backend, listing the ones
    /// that are not; not ready when an instance has none.
    @Test func readinessWithBackendsDown() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let refusing = try [RefusingPort(), RefusingPort()]
        defer { withExtendedLifetime(refusing) {} }
        let (dead, alsoDead) = (refusing[0].url, refusing[1].url)
        let some = try poolGateway([replica.url, dead]) { $0.readyzDetails = true }
        let ready = try await http(some.port, "GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.json?["status"]?.stringValue == "ready")
        #expect(ready.json?["unhealthy"]?[dead]?.stringValue?.contains("refused") == true, "\(ready.text)")
        #expect(ready.json?["unhealthy"]?[replica.url] == nil)
        await some.shutdown()
        let quiet = try poolGateway([replica.url, dead])
        _ = try await http(quiet.port, "GET", "/readyz")  // ejects `dead`
        let terse = try await http(quiet.port, "GET", "/readyz")
        #expect(terse.status == 200)
        #expect(terse.json?["unhealthy"] == nil, "\(terse.text)")
        await quiet.shutdown()

        let types = "wrpc-gateway:demo/types@0.1.0"
        let none = try poolGateway([replica.url], routes: [types: [alsoDead]]) { $0.readyzDetails = true }
        let notReady = try await http(none.port, "GET", "/readyz")
        #expect(notReady.status == 503)
        #expect(notReady.json?["code"]?.stringValue == "unavailable")
        #expect(notReady.json?["details"]?["instances"] == .array([.string(types)]), "\(notReady.text)")
        #expect(notReady.json?["details"]?["targets"]?[alsoDead] != nil)
        // The other instances still work.
        #expect(try await post(none.port, greeter, "hello", "{\"name\":\"r\"}").status == 200)
        await none.shutdown()
    }

    /// `/functions` shows each function's pool: its URLs and members.
    @Test func functionsListPools() async throws {
        let replicas = try (0..<2).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let dead = refusing.url
        let types = "wrpc-gateway:demo/types@0.1.0"
        let gateway = try poolGateway(replicas.map(\.url), routes: [types: [dead]])
        _ = try await http(gateway.port, "GET", "/readyz")  // ejects `dead`
        let list = try await http(gateway.port, "GET", "/functions").json
        guard case .array(let functions)? = list else { Issue.record("not an array"); return }
        let hello = functions.first { $0["instance"]?.stringValue == greeter && $0["name"]?.stringValue == "hello" }
        #expect(hello?["target"]?.stringValue == replicas.map(\.url).joined(separator: ","))
        guard case .array(let members)? = hello?["backends"] else { Issue.record("no backends"); return }
        #expect(members.compactMap { $0["target"]?.stringValue } == replicas.map(\.url))
        #expect(members.allSatisfy { $0["state"]?.stringValue == "healthy" && $0["in_flight"] == .number(0) })
        let routed = functions.first { $0["instance"]?.stringValue == types }
        guard case .array(let routedMembers)? = routed?["backends"] else { Issue.record("no backends"); return }
        #expect(routedMembers.first?["state"]?.stringValue == "ejected")
        #expect(routedMembers.first?["reason"]?.stringValue?.isEmpty == false)
        await gateway.shutdown()
    }
}
