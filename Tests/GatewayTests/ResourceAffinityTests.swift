import ComponentValues
import Foundation
import Synchronization
import Gateway
import Testing
import WRPCTransport

/// Resource handles leave the gateway as signed tokens naming the pool
/// member that made them, and every call carrying one goes to that member.
@Suite struct ResourceAffinityTests {
    static let store = BoxReplica.instance

    /// The replica a token names.
    static func maker(_ token: String?, _ replicas: [BoxReplica]) -> BoxReplica? {
        replicas.first { $0.url == tokenMember(token) }
    }

    /// `make(label)`'s token.
    static func make(_ port: Int, _ label: String) async throws -> String {
        let reply = try await post(port, store, "make", "{\"label\":\(quoted(label))}")
        #expect(reply.status == 200, "\(reply.text)")
        return try #require(reply.json?.stringValue)
    }

    /// Tokens from `make` until every replica has made at least `each`.
    static func tokens(_ port: Int, _ replicas: [BoxReplica], each: Int) async throws -> [Made] {
        var made: [(String, String, BoxReplica)] = []
        for i in 0..<(40 * each) {
            let label = "box-\(i)"
            let token = try await make(port, label)
            made.append((token, label, try #require(maker(token, replicas), "token \(token) names no replica")))
            if replicas.allSatisfy({ r in made.filter { $0.2 === r }.count >= each }) { break }
        }
        return made
    }

    typealias Made = (token: String, label: String, maker: BoxReplica)

    /// Replicas `a` and `b` behind a round-robin gateway, and handles until
    /// each has made `each`.
    static func twoMembers(each: Int, _ body: (_ port: Int, _ replicas: [BoxReplica], _ made: [Made]) async throws -> Void) async throws {
        let replicas = try [BoxReplica("a"), BoxReplica("b")]
        defer { for r in replicas { r.stop() } }
        let gateway = try BoxReplica.gateway(replicas) { $0.pool.balance = .roundRobin }
        do {
            try await body(gateway.port, replicas, try await tokens(gateway.port, replicas, each: each))
        } catch {
            await gateway.shutdown()
            throw error
        }
        await gateway.shutdown()
    }

    @Test func handlesInResultsBecomeTokensNamingTheirMember() async throws { try await Self.twoMembers(each: 1) { port, replicas, made in
        // Top level.
        for (token, label, maker) in made {
            #expect(token != Data("\(maker.name)/\(label)".utf8).base64EncodedString())
            #expect(token.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
                                            || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        }
        // Inside result, record and list; inside option and tuple.
        let shelf = try await post(port, Self.store, "shelve", "{\"label\":\"s\",\"n\":3}")
        #expect(shelf.status == 200, "\(shelf.text)")
        let boxes = try #require(shelf.json?["val"]?["boxes"])
        for i in 0..<3 {
            let token = try #require(boxes[i]?.stringValue)
            let maker = try #require(Self.maker(token, replicas))
            let reply = try await post(port, Self.store, "box.where", "{\"self\":\(quoted(token))}")
            #expect(reply.json?.stringValue == "\(maker.name) holds \(maker.name)/s-\(i)", "\(reply.text)")
        }
        // Stream elements (NDJSON lines) and a future.
        let many = try await post(port, Self.store, "many", "{\"label\":\"e\",\"n\":2}")
        let lines = many.text.split(separator: "\n").map { String($0.dropFirst().dropLast()) }
        #expect(lines.count == 2, "\(many.text)")
        let later = try await post(port, Self.store, "later", "{\"label\":\"f\"}")
        for (token, label) in zip(lines + [later.json?.stringValue ?? ""], ["e-0", "e-1", "f"]) {
            let maker = try #require(Self.maker(token, replicas), "\(token)")
            let reply = try await post(port, Self.store, "box.where", "{\"self\":\(quoted(token))}")
            #expect(reply.json?.stringValue == "\(maker.name) holds \(maker.name)/\(label)", "\(reply.text)")
        }
        let maybe = try await post(port, Self.store, "maybe", "{\"label\":\"m\"}")
        let inTuple = try #require(maybe.json?[1]?.stringValue, "\(maybe.text)")
        #expect(maybe.json?[0]?.uint64Value == 7)
        let maker = try #require(Self.maker(inTuple, replicas))
        let reply = try await post(port, Self.store, "box.where", "[\(quoted(inTuple))]")
        #expect(reply.json?.stringValue == "\(maker.name) holds \(maker.name)/m", "\(reply.text)")
    } }

    /// Done when: 1,000 method calls on handles from both members, every one
    /// answered by the member that made its handle, while the balancer
    /// (round-robin, so it would alternate) picks for calls without handles.
    @Test func thousandMethodCallsStayOnTheirMembers() async throws { try await Self.twoMembers(each: 2) { port, _, made in
        let right = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in stride(from: worker, to: 1000, by: 8) {
                        let (token, label, maker) = made[i % made.count]
                        let reply = try await post(port, Self.store, "box.where", "{\"self\":\(quoted(token))}")
                        #expect(reply.json?.stringValue == "\(maker.name) holds \(maker.name)/\(label)", "\(reply.status) \(reply.text)")
                        if reply.json?.stringValue == "\(maker.name) holds \(maker.name)/\(label)" { right.value.add(1, ordering: .relaxed) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(right.value.load(ordering: .relaxed) == 1000)
        // Calls without handles are still balanced over both.
        var greeters: Set<String> = []
        for _ in 0..<4 {
            let reply = try await post(port, Self.store, "greet", "{\"name\":\"n\"}")
            greeters.insert(String(reply.json?.stringValue?.prefix(1) ?? ""))
        }
        #expect(greeters == ["a", "b"])
    } }

    @Test func handlesFromTwoMembersInOneCallAre400NamingBoth() async throws { try await Self.twoMembers(each: 2) { port, replicas, made in
        let onA = made.filter { $0.maker === replicas[0] }
        let onB = made.filter { $0.maker === replicas[1] }
        let before = replicas.map { $0.calls }
        let pair = try await post(port, Self.store, "pair", "{\"a\":\(quoted(onA[0].token)),\"b\":\(quoted(onB[0].token))}")
        #expect(pair.status == 400, "\(pair.text)")
        #expect(pair.json?["code"]?.stringValue == "invalid_argument")
        #expect(pair.json?["details"]?["parameters"] == .array([.string("/a"), .string("/b")]), "\(pair.text)")
        #expect(pair.json?["message"]?.stringValue?.contains("/a and /b") == true, "\(pair.text)")
        let nested = try await post(port, Self.store, "nested", "{\"boxes\":[\(quoted(onB[0].token)),null,\(quoted(onA[0].token))]}")
        #expect(nested.status == 400, "\(nested.text)")
        #expect(nested.json?["details"]?["parameters"] == .array([.string("/boxes/0"), .string("/boxes/2")]), "\(nested.text)")
        #expect(replicas.map { $0.calls } == before)
        // Handles from one member: the call goes there.
        let same = try await post(port, Self.store, "pair", "[\(quoted(onB[0].token)),\(quoted(onB[1].token))]")
        #expect(same.json?.stringValue == "b: b/\(onB[0].label) and b/\(onB[1].label)", "\(same.text)")
        let list = try await post(port, Self.store, "nested", "{\"boxes\":[null,\(quoted(onA[0].token)),\(quoted(onA[1].token))]}")
        #expect(list.json?.stringValue == "a", "\(list.text)")
    } }

    /// With a raw body, handles come in `?args=`: pinned the same way.
    @Test func handlesInArgsBesideARawBody() async throws { try await Self.twoMembers(each: 2) { port, replicas, made in
        func stash(_ token: String) async throws -> Reply {
            let args = "{\"b\":\(quoted(token))}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            return try await http(port, "POST", "/invoke/\(Self.store)/stash?args=\(args)", body: [1, 2, 3],
                                  contentType: "application/octet-stream")
        }
        for (token, label, maker) in made {
            let reply = try await stash(token)
            #expect(reply.json?.stringValue == "\(maker.name) stashed 3 bytes in \(maker.name)/\(label)", "\(reply.text)")
        }
        let before = replicas.map(\.calls)
        let forged = try await stash(String(made[0].token.dropLast(2)))
        #expect(forged.status == 400, "\(forged.text)")
        #expect(forged.json?["details"]?["path"]?.stringValue == "/b", "\(forged.text)")
        #expect(replicas.map(\.calls) == before)
    } }

    @Test func forgedTruncatedAlteredAndReKeyedTokensAre400BeforeABackend() async throws {
        let replicas = try [BoxReplica("a"), BoxReplica("b")]
        defer { for r in replicas { r.stop() } }
        let gateway = try BoxReplica.gateway(replicas)
        let other = try BoxReplica.gateway(replicas) { $0.resourceKey = try? ResourceKey(secret: String(repeating: "k", count: 40)) }
        let token = try await Self.make(gateway.port, "real")
        let reKeyed = try await Self.make(other.port, "real")
        var altered = Array(token)
        altered[altered.count / 2] = altered[altered.count / 2] == "A" ? "B" : "A"
        let bad: [(String, String)] = [
            ("raw handle", quoted(Data("a/real".utf8).base64EncodedString())),
            ("forged", quoted(String((0..<60).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".randomElement()! }))),
            ("truncated", quoted(String(token.dropLast(3)))),
            ("altered", quoted(String(altered))),
            ("re-keyed", quoted(reKeyed)),
            ("empty", "\"\""),
            ("not base64", quoted(token + "!")),
            ("a number", "12"),
        ]
        let before = replicas.map { $0.calls }
        for (what, json) in bad {
            let reply = try await post(gateway.port, Self.store, "box.where", "{\"self\":\(json)}")
            #expect(reply.status == 400, "\(what): \(reply.text)")
            #expect(reply.json?["code"]?.stringValue == "invalid_argument", "\(what)")
            #expect(reply.json?["details"]?["path"]?.stringValue == "/self", "\(what): \(reply.text)")
        }
        #expect(replicas.map { $0.calls } == before)
        // The genuine token still works, and a gateway with the same key takes it.
        let twin = try BoxReplica.gateway(replicas) { $0.resourceKey = try? ResourceKey(secret: String(repeating: "k", count: 40)) }
        #expect(try await post(gateway.port, Self.store, "box.where", "[\(quoted(token))]").status == 200)
        let there = try await post(twin.port, Self.store, "box.where", "[\(quoted(reKeyed))]")
        let maker = try #require(Self.maker(reKeyed, replicas))
        #expect(there.json?.stringValue == "\(maker.name) holds \(maker.name)/real", "\(there.text)")
        await twin.shutdown()
        await other.shutdown()
        await gateway.shutdown()
    }

    /// The member that made a handle is gone: 503 naming it, never another
    /// member; calls without handles and handles of the other member go on.
    @Test func pinnedMemberGoneIs503NamingIt() async throws {
        let replicas = try [BoxReplica("a"), BoxReplica("b")]
        defer { replicas[1].stop() }
        let gateway = try BoxReplica.gateway(replicas) {
            $0.pool.balance = .roundRobin
            $0.pool.ejectBase = .seconds(60)
            $0.pool.ejectMax = .seconds(60)
        }
        let port = gateway.port
        let made = try await Self.tokens(port, replicas, each: 1)
        replicas[0].stop()
        let onA = try #require(made.first { $0.maker === replicas[0] })
        let onB = try #require(made.first { $0.maker === replicas[1] })
        let calledB = replicas[1].calls
        // Refused at connect, then left out as ejected: 503 both times.
        for _ in 0..<2 {
            let reply = try await post(port, Self.store, "box.where", "{\"self\":\(quoted(onA.token))}")
            #expect(reply.status == 503, "\(reply.text)")
            #expect(reply.json?["code"]?.stringValue == "unavailable")
            #expect(reply.json?["message"]?.stringValue?.contains(replicas[0].url) == true, "\(reply.text)")
            #expect(reply.json?["details"]?["target"]?.stringValue == replicas[0].url, "\(reply.text)")
        }
        #expect(replicas[1].calls == calledB)
        let stays = try await post(port, Self.store, "box.where", "{\"self\":\(quoted(onB.token))}")
        #expect(stays.json?.stringValue == "b holds b/\(onB.label)", "\(stays.text)")
        #expect(try await post(port, Self.store, "greet", "{\"name\":\"n\"}").json?.stringValue == "b greets n")
        await gateway.shutdown()
    }
}
