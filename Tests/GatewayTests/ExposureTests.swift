import ComponentValues
import EdgePolicy
import Gateway
import Testing

@Suite struct ExposureTests {
    @Test func hiddenFunctionsVanishEverywhere() async throws {
        let backend = try FakeBackend(.cutShort([]))
        defer { backend.stop() }
        let stack = try Stack(configure: {
            $0.edge.exposure = Exposure(expose: ["\(greeter)/*", "\(keyvalue)/*"], hide: ["*/bucket.delete", "*/[method]bucket.set"])
        }, target: backend.url)
        defer { Task { await stack.stop() } }
        guard case .array(let listed)? = try await http(stack.port, "GET", "/functions").json else { Issue.record("no list"); return }
        let paths = listed.compactMap { entry -> String? in
            guard case .object(let m) = entry, case .string(let p)? = m.first(where: { $0.0 == "path" })?.1 else { return nil }
            return p
        }
        #expect(paths.contains("/invoke/\(greeter)/hello"))
        #expect(paths.contains("/invoke/\(keyvalue)/bucket.get"))
        #expect(!paths.contains { $0.contains(types) || $0.contains(blobs) })
        #expect(!paths.contains { $0.hasSuffix("bucket.delete") || $0.hasSuffix("bucket.set") })
        let openAPI = try await http(stack.port, "GET", "/openapi.json").text
        #expect(openAPI.contains("/invoke/\(greeter)/hello"))
        #expect(!openAPI.contains(types) && !openAPI.contains("bucket.delete") && !openAPI.contains("bucket.set"))
        // Hidden: 404 by every name, without a backend call.
        for (instance, name) in [(types, "echo-record"), (keyvalue, "bucket.delete"), (keyvalue, "%5Bmethod%5Dbucket.set"),
                                 (keyvalue, "bucket.set"), (blobs, "upload")] {
            let reply = try await post(stack.port, instance, name, "{}")
            #expect(reply.status == 404, "\(instance)/\(name)")
            #expect(reply.errorCode == "not_found")
        }
        #expect(backend.counters.accepted.load(ordering: .relaxed) == 0)
        // An exposed one is called.
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#).status == 502)
        #expect(backend.counters.accepted.load(ordering: .relaxed) == 1)
    }

    @Test func exposingNothingIsAStartupError() throws {
        #expect { try Stack { $0.edge.exposure = Exposure(expose: ["nothing:matches/*"]) } } throws: {
            "\($0)".contains("leave no function")
        }
    }
}
