import ComponentValues
import DemoBackend
import Foundation
@testable import Gateway
import Testing
import WIT

@Suite struct OpenAPITests {
    static func document(_ wit: String) throws -> JSONValue {
        let resolve = try Resolve.load(main: [SourceText(path: "t.wit", text: wit)], dependencies: [])
        return try JSONValue(parsing: OpenAPIDocument.generate(table: try FunctionTable(resolve: resolve, world: nil), title: "t"))
    }

    /// `openapi/demo.json` is what the generator makes for the demo WIT today.
    @Test func checkedInDemoDocumentIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try Data(contentsOf: root.appendingPathComponent("openapi/demo.json"))
        let table = try FunctionTable(resolve: try DemoBackend.resolve(), world: nil)
        let generated = OpenAPIDocument.generate(table: table, title: "wrpc-gateway: \(DemoWIT.packageName)")
        #expect(Array(file) == generated, "regenerate with: wrpc-gateway openapi --wit demo/wit > openapi/demo.json")
    }

    @Test func servedAtOpenAPIJSON() async throws {
        let stack = try Stack()
        let reply = try await http(stack.port, "GET", "/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.header("content-type") == "application/json")
        let doc = try #require(reply.json)
        #expect(doc["openapi"]?.stringValue == "3.1.0")
        guard case .object(let paths)? = doc["paths"] else { Issue.record("no paths"); return }
        #expect(paths.count == stack.gateway.table.functions.count)
        #expect(paths.contains { $0.0 == "/invoke/wrpc-gateway:demo/keyvalue@0.1.0/bucket.get" })
        let ids = paths.compactMap { $0.1["post"]?["operationId"]?.stringValue }
        #expect(Set(ids).count == ids.count, "operation ids are unique")
        #expect(paths.first { $0.0.hasSuffix("greeter@0.1.0/hello") }?.1["post"]?["summary"]?.stringValue == "Returns a greeting for `name`.")
        await stack.stop()
    }

    /// Handles are opaque strings (the gateway's tokens), not base64 bytes.
    @Test func handlesAreOpaqueStrings() throws {
        let doc = try Self.document(BoxReplica.wit)
        let op = try #require(doc["paths"]?["/invoke/test:boxes/store@0.1.0/pair"]?["post"])
        let props = try #require(op["requestBody"]?["content"]?["application/json"]?["schema"]?["oneOf"]?[0]?["properties"])
        for name in ["a", "b"] {
            #expect(props[name]?["type"]?.stringValue == "string")
            #expect(props[name]?["contentEncoding"] == nil)
            #expect(props[name]?["format"]?.stringValue == "wrpc-resource-handle")
        }
        let made = try #require(doc["paths"]?["/invoke/test:boxes/store@0.1.0/make"]?["post"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"])
        #expect(made["format"]?.stringValue == "wrpc-resource-handle", "\(made)")
    }

    @Test func schemasFollowTheJSONMapping() throws {
        let doc = try Self.document("""
            package t:s@1.0.0;
            interface i {
              record point { x: s32, y: option<u8> }
              enum color { red, green }
              flags perms { read, write }
              variant shape { dot, circle(f32) }
              f: func(a: u64, b: list<u8>, c: tuple<u8, string>, d: option<option<u8>>, e: result<_, string>,
                      p: point, k: color, m: perms, s: shape, l: list<u16, 2>, n: map<string, u32>) -> stream<u64>;
              up: func(data: stream<u8>) -> stream<u8>;
            }
            """)
        let op = try #require(doc["paths"]?["/invoke/t:s/i@1.0.0/f"]?["post"])
        let byName = try #require(op["requestBody"]?["content"]?["application/json"]?["schema"]?["oneOf"]?[0])
        let props = try #require(byName["properties"])
        #expect(props["a"]?["oneOf"]?[0]?["maximum"] == .number("18446744073709551615"))
        #expect(props["a"]?["oneOf"]?[1]?["type"]?.stringValue == "string")
        #expect(props["b"]?["contentEncoding"]?.stringValue == "base64")
        #expect(props["c"]?["prefixItems"]?[1]?["type"]?.stringValue == "string")
        #expect(props["c"]?["minItems"] == .number("2") && props["c"]?["maxItems"] == .number("2"))
        #expect(props["d"]?["oneOf"]?[0]?["properties"]?["tag"]?["const"]?.stringValue == "none")
        #expect(props["e"]?["oneOf"]?[1]?["required"] == .array([.string("tag"), .string("val")]))
        #expect(props["l"]?["minItems"] == .number("2"))
        #expect(props["p"]?["$ref"]?.stringValue == "#/components/schemas/t-s-i-point")
        #expect(byName["required"] == .array(["a", "b", "c", "e", "p", "k", "m", "s", "l", "n"].map { .string($0) }))
        let schemas = try #require(doc["components"]?["schemas"])
        #expect(schemas["t-s-i-point"]?["required"] == .array([.string("x")]))
        #expect(schemas["t-s-i-color"]?["enum"] == .array([.string("red"), .string("green")]))
        #expect(schemas["t-s-i-perms"]?["uniqueItems"] == .bool(true))
        #expect(schemas["t-s-i-shape"]?["oneOf"]?[1]?["properties"]?["val"]?["oneOf"]?[1]?["enum"]?[0]?.stringValue == "NaN")
        let results = try #require(op["responses"]?["200"]?["content"])
        #expect(results["application/x-ndjson"] != nil && results["text/event-stream"] != nil && results["application/json"] != nil)
        for status in ["400", "404", "413", "415", "502", "503", "504"] {
            #expect(op["responses"]?[status]?["$ref"] != nil, "\(status)")
        }
        let up = try #require(doc["paths"]?["/invoke/t:s/i@1.0.0/up"]?["post"])
        #expect(up["requestBody"]?["content"]?["application/octet-stream"] != nil, "a raw body for the one stream<u8>")
        #expect(up["responses"]?["200"]?["content"]?["application/octet-stream"] != nil)
    }
}
