import Synchronization
import Testing
@testable import ComponentValues
@testable import WIT

/// The codec's handle hook, with a stand-in sealing: `T:` + the handle's
/// bytes as text + `@origin`, refusing anything else.
@Suite struct HandleSealingTests {
    final class Sealing: HandleSealing {
        let calls = Atomic<Int>(0)

        func seal(_ handle: UnsafeBufferPointer<UInt8>, resource: String) -> String {
            calls.add(1, ordering: .relaxed)
            return "T-\(String(decoding: handle, as: UTF8.self))-\(resource.split(separator: ".").last ?? "")"
        }

        func open(_ token: String, resource: String) throws(HandleRefusal) -> OpenedHandle {
            calls.add(1, ordering: .relaxed)
            let parts = token.split(separator: "-")
            guard parts.count == 3, parts[0] == "T", resource.hasSuffix(".\(parts[2])") else { throw HandleRefusal("not a token") }
            return OpenedHandle(bytes: Array(parts[1].utf8), origin: String(parts[1].prefix(1)))
        }
    }

    static func handle(_ text: String) -> [UInt8] { [UInt8(text.utf8.count)] + Array(text.utf8) }

    @Test func decodingSealsHandlesWhereverTheySit() throws {
        let type = try witType("tuple<own<bucket>, list<option<own<bucket>>>, result<own<bucket>>, future<own<bucket>>, stream<own<bucket>>>")
        #expect(type.containsHandle)
        let sealing = Sealing()
        let bytes = Self.handle("a1") + [2, 1] + Self.handle("a2") + [0] + [0] + Self.handle("a3") + [1] + Self.handle("a4")
            + [1, 1] + Self.handle("a5")
        var d = ValueDecoder(types: [type], shape: .bare, handles: sealing)
        #expect(try d.feed(bytes))
        #expect(String(decoding: d.json, as: UTF8.self)
            == #"["T-a1-bucket",["T-a2-bucket",null],{"tag":"ok","val":"T-a3-bucket"},"T-a4-bucket",["T-a5-bucket"]]"#)
        // Without a sealing, handles stay base64.
        var plain = ValueDecoder(types: [type], shape: .bare)
        #expect(try plain.feed(bytes))
        #expect(String(decoding: plain.json, as: UTF8.self).hasPrefix(#"["YTE=""#))
    }

    @Test func pendingStreamElementsAreSealed() throws {
        let sealing = Sealing()
        var s = StreamDecoder(element: try witType("own<bucket>"), path: [0], handles: sealing)
        let events = try s.feed([2] + Self.handle("b1") + Self.handle("b2") + [0])
        #expect(events == [.element(json: Array(#""T-b1-bucket""#.utf8), pending: []),
                           .element(json: Array(#""T-b2-bucket""#.utf8), pending: []), .end])
    }

    @Test func encodingOpensTokensAndNotesWhereEachCameFrom() throws {
        let params = try #require(Resolve.load(main: [SourceText(path: "t.wit", text: """
            package vec:tests;
            interface t {
              resource bucket;
              record pair { left: borrow<bucket>, right: option<borrow<bucket>> }
              f: func(self: borrow<bucket>, p: pair, l: list<tuple<u8, own<bucket>>>, n: u32);
            }
            """)], dependencies: []).main.interface(named: "t")?.function(named: "f")).params
        let sealing = Sealing()
        var out: [UInt8] = []
        var streams: [URLStream]? = nil
        var origins: [HandleOrigin] = []
        let json = #"{"p":{"right":"T-b2-bucket","left":"T-a1-bucket"},"self":"T-a0-bucket","l":[[7,"T-c3-bucket"]],"n":5}"#
        try ValueEncoder.encodeParameters(json: Array(json.utf8), params: params, into: &out, urlStreams: &streams,
                                          handles: sealing, origins: &origins)
        #expect(out == Self.handle("a0") + Self.handle("a1") + [1] + Self.handle("b2") + [1, 7] + Self.handle("c3") + [5])
        #expect(Set(origins.map { "\($0.origin)\($0.pointer)" }) == ["a/self", "a/p/left", "b/p/right", "c/l/0/1"])
        // A refused token is a value error at its place.
        do {
            try ValueEncoder.encodeParameters(json: Array(#"{"self":"YTA=","p":{"left":"T-a1-bucket"},"l":[],"n":1}"#.utf8),
                                              params: params, into: &out, urlStreams: &streams, handles: sealing, origins: &origins)
            Issue.record("a raw handle was taken")
        } catch {
            #expect(error.pointer == "/self")
            #expect(error.message == "not a token")
        }
    }

    @Test func typesWithoutHandlesNeverCallTheSealing() throws {
        let sealing = Sealing()
        let type = try witType("tuple<list<u8>, option<string>, stream<u8>>")
        #expect(!type.containsHandle)
        var out: [UInt8] = []
        var origins: [HandleOrigin] = []
        try ValueEncoder.encode(json: Array(#"["YQ==","x","Yg=="]"#.utf8), as: type, into: &out, handles: sealing, origins: &origins)
        var d = ValueDecoder(types: [type], shape: .bare, handles: sealing)
        #expect(try d.feed(out))
        #expect(sealing.calls.load(ordering: .relaxed) == 0)
        #expect(origins.isEmpty)
    }
}
