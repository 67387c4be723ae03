import ComponentValues
import Foundation
import Testing
import TestSupport
import WIT
@testable import WRPCTransport
import Locking

/// The calls captured between the upstream Go client and server, replayed.
@Suite struct WireReplayTests {
    static let calls: [(name: String, wit: String, iface: String, function: String, params: String, result: String)] = [
        ("hello", helloWIT, "handler", "hello", "[]", "\"hello from Go\""),
        ("keyvalue-open", keyvalueWIT, "store", "open", "[\"example\"]", "{\"tag\":\"ok\",\"val\":\"ZXhhbXBsZQ==\"}"),
        ("keyvalue-set", keyvalueWIT, "store", "[method]bucket.set", "[\"ZXhhbXBsZQ==\",\"foo\",\"YmFy\"]", "{\"tag\":\"ok\"}"),
        ("keyvalue-get", keyvalueWIT, "store", "[method]bucket.get", "[\"ZXhhbXBsZQ==\",\"foo\"]", "{\"tag\":\"ok\",\"val\":\"YmFy\"}"),
    ]

    static func params(_ f: Function, _ json: String) throws -> [UInt8] {
        var out: [UInt8] = []
        try ValueEncoder.encodeParameters(json: Array(json.utf8), params: f.params, into: &out)
        return out
    }

    /// Over real TCP, the client's request is byte-identical to Go's, and it
    /// decodes Go's response.
    @Test(arguments: calls.map(\.name))
    func clientSendsTheRecordedBytes(name: String) async throws {
        let call = try #require(Self.calls.first { $0.name == name })
        let recording = try WireRecording(name)
        let (instance, f) = try function(call.wit, call.iface, call.function)
        let peer = try ScriptedPeer(.answerAfterEOF(recording.response))
        defer { peer.stop() }
        let client = WRPCClient(transport: try Transports.client(for: peer.url))
        let result = try await client.invoke(instance: instance, function: f, params: try Self.params(f, call.params), deadline: deadline(30))
        #expect(hex(peer.received.withLock { $0 }) == hex(recording.request))
        #expect(String(decoding: try #require(result), as: UTF8.self) == call.result)
    }

    /// Go's responses decode the same whatever way they are cut into reads.
    @Test(arguments: calls.map(\.name) + ["streams-echo"])
    func responsesDecodeSplitAnywhere(name: String) async throws {
        let recording = try WireRecording(name)
        var splits: [[[UInt8]]] = [recording.response.map { [$0] }]
        for cut in 0...recording.response.count {
            splits.append([Array(recording.response[..<cut]), Array(recording.response[cut...])].filter { !$0.isEmpty })
        }
        for pieces in splits {
            let result = try await decodeResponse(name, pieces)
            if name == "streams-echo" {
                #expect(result == "[[1,2,3,4,5,6,7,8,9,10],\"Zm9vIGJhciBiYXo=\"]")
            } else {
                #expect(result == Self.calls.first { $0.name == name }!.result)
            }
        }
    }

    func decodeResponse(_ name: String, _ pieces: [[UInt8]]) async throws -> String {
        let transport = ScriptedTransport(stream: ScriptedStream(pieces))
        let client = WRPCClient(transport: transport)
        let f: Function
        let instance: String
        if name == "streams-echo" {
            (instance, f) = try function(streamsWIT, "handler", "echo")
        } else {
            let call = try #require(Self.calls.first { $0.name == name })
            (instance, f) = try function(call.wit, call.iface, call.function)
        }
        let json = try await client.invoke(instance: instance, function: f, params: [], deadline: deadline(30))
        return String(decoding: try #require(json), as: UTF8.self)
    }

    /// The streams call: root frame with both streams pending, then chunks on
    /// [0,0] and [0,1]. Same frames as Go's, modulo chunking.
    @Test func clientSendsPendingStreamsLikeGo() async throws {
        let recording = try WireRecording("streams-echo")
        let (instance, f) = try function(streamsWIT, "handler", "echo")
        let peer = try ScriptedPeer(.answerAfterEOF(recording.response))
        defer { peer.stop() }
        let client = WRPCClient(transport: try Transports.client(for: peer.url))
        let result = try await client.call(instance: instance, name: f.wireName, params: [0, 0], deadline: deadline(30)) { inv in
            for byte in Array("foo bar baz".utf8) { try await inv.sendStreamChunk(path: [0, 1], bytes: [byte]) }
            try await inv.endStream(path: [0, 1])
            for n in 1...10 { try await inv.send(path: [0, 0], data: [1, UInt8(n)]) }
            try await inv.endStream(path: [0, 0])
            try await inv.closeWrite()
            let d = try await inv.readValues(types: [f.result!], shape: .bare)
            return try await inv.collect(json: d.json, pending: d.pending)
        }
        #expect(String(decoding: result, as: UTF8.self) == "[[1,2,3,4,5,6,7,8,9,10],\"Zm9vIGJhciBiYXo=\"]")
        #expect(try perPathContents(peer.received.withLock { $0 }) == perPathContents(recording.request))
    }

    /// A request's header and its frames' data joined per path, streams
    /// decoded to their elements so chunking and Go's extra terminator do not count.
    func perPathContents(_ request: [UInt8]) throws -> [String] {
        var header = HeaderReader()
        let (instance, name, rest) = try #require(try header.feed(request))
        var reader = FrameReader()
        var data: [[UInt32]: [UInt8]] = [:]
        for event in try reader.feed(rest) {
            if case .data(let path, let bytes) = event { data[path, default: []] += bytes }
        }
        var out = ["\(instance).\(name)", "root=\(hex(data[[]] ?? []))"]
        for (path, element) in [([UInt32(0), 0], WITType.primitive(.u64)), ([0, 1], .primitive(.u8))] {
            var s = StreamDecoder(element: element, path: path)
            out.append("\(path)=\(try s.feed(data[path] ?? []))")
        }
        return out
    }
}

/// Our server answers the recorded requests.
@Suite struct ServerReplayTests {
    func serve(_ register: (inout WRPCServer) throws -> Void, request: [UInt8]) async throws -> [UInt8] {
        var server = WRPCServer()
        try register(&server)
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let server2 = server
        let task = Task { await server2.serve(listener) }
        defer { task.cancel(); listener.close() }
        let stream = try await TCPTransport(host: "127.0.0.1", port: listener.port!).connect()
        defer { stream.close() }
        try await stream.write(request)
        try await stream.closeWrite()
        var response: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty { response += bytes }
        return response
    }

    @Test func hello() async throws {
        let recording = try WireRecording("hello")
        let response = try await serve({ server in
            let (instance, f) = try function(helloWIT, "handler", "hello")
            server.handle(instance: instance, function: f) { _ in .string("hello from Go") }
        }, request: recording.request)
        #expect(hex(response) == hex(recording.response))
    }

    @Test(arguments: ["keyvalue-open", "keyvalue-set", "keyvalue-get"])
    func keyvalue(name: String) async throws {
        let recording = try WireRecording(name)
        let seen = Locked<[String]>([])
        let response = try await serve({ server in
            for fname in ["open", "[method]bucket.set", "[method]bucket.get"] {
                let (instance, f) = try function(keyvalueWIT, "store", fname)
                server.handle(instance: instance, function: f) { params in
                    seen.withLock { $0.append("\(fname)\(JSONValue.array(params))") }
                    switch fname {
                    case "open": return .tagged("ok", .bytes(Array("example".utf8)))
                    case "[method]bucket.set": return .tagged("ok")
                    default: return .tagged("ok", .bytes(Array("bar".utf8)))
                    }
                }
            }
        }, request: recording.request)
        #expect(hex(response) == hex(recording.response))
        let expected = ["keyvalue-open": "open[\"example\"]",
                        "keyvalue-set": "[method]bucket.set[\"ZXhhbXBsZQ==\",\"foo\",\"YmFy\"]",
                        "keyvalue-get": "[method]bucket.get[\"ZXhhbXBsZQ==\",\"foo\"]"]
        #expect(seen.withLock { $0 } == [expected[name]!])
    }

    /// Go's streams request (with its redundant terminator) echoed back.
    @Test func streamsEcho() async throws {
        let recording = try WireRecording("streams-echo")
        let response = try await serve({ server in
            let (instance, f) = try function(streamsWIT, "handler", "echo")
            server.handle(instance: instance, function: f) { call in
                try await call.channel.send(path: [], data: [0, 0])
                try await call.channel.readStream(path: [0, 0], element: .primitive(.u64)) { event in
                    if case .element(let json, _) = event {
                        var chunk: [UInt8] = [1]
                        try ValueEncoder.encode(json: json, as: .primitive(.u64), into: &chunk)
                        try await call.channel.send(path: [0, 0], data: chunk)
                    }
                }
                try await call.channel.endStream(path: [0, 0])
                try await call.channel.readStream(path: [0, 1], element: .primitive(.u8)) { event in
                    if case .bytes(let b) = event { try await call.channel.sendStreamChunk(path: [0, 1], bytes: b) }
                }
                try await call.channel.endStream(path: [0, 1])
            }
        }, request: recording.request)
        let (_, f) = try function(streamsWIT, "handler", "echo")
        let client = WRPCClient(transport: ScriptedTransport(stream: ScriptedStream([response])))
        let json = try await client.invoke(instance: "x", function: f, params: [], deadline: deadline(30))
        #expect(String(decoding: try #require(json), as: UTF8.self) == "[[1,2,3,4,5,6,7,8,9,10],\"Zm9vIGJhciBiYXo=\"]")
    }

    /// An unknown function gets its connection closed, not a hang.
    @Test func unknownFunctionClosesAtOnce() async throws {
        let started = ContinuousClock.now
        let response = try await serve({ $0.idleTimeout = .seconds(120) }, request: Framing.header(instance: "no:such/thing", name: "f") + [0, 0])
        #expect(response.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(60), "closed at once, not after the 120 s idle timeout")
    }
}
