import ComponentValues
import DemoBackend
import Foundation
import TestSupport
import Testing
import WIT
@testable import WRPCTransport

/// Client ⇄ our server over real loopback TCP and Unix sockets.
@Suite struct DemoTests {
    static let resolve = try! DemoBackend.resolve()

    static func demo(_ iface: String, _ name: String) -> (String, Function) {
        let i = resolve.main.interface(named: iface)!
        return (i.qualifiedName, i.function(named: name)!)
    }

    static func call(_ client: WRPCClient, _ iface: String, _ name: String, _ params: String) async throws -> String? {
        let (instance, f) = demo(iface, name)
        var bytes: [UInt8] = []
        try ValueEncoder.encodeParameters(json: Array(params.utf8), params: f.params, into: &bytes)
        let json = try await client.invoke(instance: instance, function: f, params: bytes, deadline: deadline())
        return json.map { String(decoding: $0, as: UTF8.self) }
    }

    static let echoes: [(String, String)] = [
        ("echo-record", "{\"x\":-3,\"y\":4}"),
        ("echo-variant", "{\"tag\":\"rectangle\",\"val\":[1.5,-2.0]}"),
        ("echo-enum", "\"blue\""),
        ("echo-flags", "[\"read\",\"execute\"]"),
        ("echo-option", "{\"tag\":\"some\",\"val\":null}"),
        ("echo-tuple", "[\"a\",65535,true]"),
        ("echo-list", "[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}]"),
        ("echo-bytes", "\"AAEC/w==\""),
        ("echo-u64", "18446744073709551615"),
        ("echo-s64", "-9223372036854775808"),
        ("echo-char", "\"€\""),
        ("echo-map", "[[\"a\",1],[\"b\",2]]"),
        ("echo-fixed", "[1,2,3]"),
        ("echo-result", "{\"tag\":\"err\",\"val\":7}"),
        ("echo-everything", """
            {"flag":true,"small":255,"big":9007199254740993,"negative":-1,"ratio":0.5,"precise":"NaN","letter":"ß","text":"hi\\n","bytes":"","point":{"x":0,"y":0},"shape":{"tag":"dot"},"color":"red","permissions":[],"maybe":{"tag":"none"},"pair":["p",1],"numbers":[-1,0,1],"lookup":[],"rgb":[0,128,255],"note":null}
            """),
    ]

    @Test(arguments: ["tcp", "unix"])
    func everyDemoFunction(scheme: String) async throws {
        let (client, stop) = try await startDemo(scheme)
        defer { stop() }
        #expect(try await Self.call(client, "greeter", "hello", "{\"name\":\"wRPC\"}") == "\"Hello, wRPC!\"")
        for (name, value) in Self.echoes {
            let (_, f) = Self.demo("types", name)
            #expect(try await Self.call(client, "types", name, "{\"\(f.params[0].name)\":\(value)}") == value, "\(name)")
        }
        #expect(try await Self.call(client, "types", "echo-floats", "[0.1,\"-Infinity\"]") == "[0.1,\"-Infinity\"]")
        #expect(try await Self.call(client, "types", "extremes", "") == "[18446744073709551615,-9223372036854775808,9223372036854775807]")
        #expect(try await Self.call(client, "types", "nothing", "") == nil)

        // The bucket resource: open, then methods on the handle.
        let opened = try #require(try await Self.call(client, "keyvalue", "open", "[\"fruit\"]"))
        #expect(opened == "{\"tag\":\"ok\",\"val\":\"ZnJ1aXQ=\"}")
        let handle = "\"ZnJ1aXQ=\""
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.set", "[\(handle),\"apple\",\"cmVk\"]") == "{\"tag\":\"ok\"}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.get", "[\(handle),\"apple\"]") == "{\"tag\":\"ok\",\"val\":\"cmVk\"}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.get", "[\(handle),\"pear\"]") == "{\"tag\":\"ok\",\"val\":null}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.exists", "[\(handle),\"apple\"]") == "{\"tag\":\"ok\",\"val\":true}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.list-keys", "[\(handle),null]") == "{\"tag\":\"ok\",\"val\":{\"keys\":[\"apple\"],\"cursor\":null}}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.delete", "[\(handle),\"apple\"]") == "{\"tag\":\"ok\"}")
        #expect(try await Self.call(client, "keyvalue", "open", "[\"private-stuff\"]") == "{\"tag\":\"err\",\"val\":{\"tag\":\"access-denied\"}}")
        #expect(try await Self.call(client, "keyvalue", "[method]bucket.get", "[\"bm9uZQ==\",\"k\"]") == "{\"tag\":\"err\",\"val\":{\"tag\":\"no-such-store\"}}")

        // Streams, sent whole and received pending.
        #expect(try await Self.call(client, "blobs", "count", "[5]") == "[1,2,3,4,5]")
        #expect(try await Self.call(client, "blobs", "download", "[3]") == "\"AAEC\"")
        #expect(try await Self.call(client, "blobs", "echo", "[\"aGVsbG8=\"]") == "\"aGVsbG8=\"")
        #expect(try await Self.call(client, "blobs", "upload", "[\"YWJj\"]") == "{\"bytes\":3,\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}")
    }

    /// A pending `stream<u8>` parameter of 1 MiB and 64 MiB: the server gets
    /// every byte (its SHA-256 matches), and echo/download stream back exact bytes.
    @Test(.heavyTransfer, arguments: [("tcp", 1 << 20), ("unix", 1 << 20), ("tcp", 64 << 20)])
    func largeStreamsBothWays(scheme: String, size: Int) async throws {
        let (client, stop) = try await startDemo(scheme)
        defer { stop() }
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        var hash = UploadDigest()
        hash.update(data)
        let expectedDigest = hash.hex()

        let (blobs, upload) = Self.demo("blobs", "upload")
        let digest = try await client.call(instance: blobs, name: upload.wireName, params: [0], deadline: deadline(120)) { inv in
            var i = 0
            while i < data.count {
                let end = min(i + 256 << 10, data.count)
                try await inv.sendStreamChunk(path: [0], bytes: Array(data[i..<end]))
                i = end
            }
            try await inv.endStream(path: [0])
            try await inv.closeWrite()
            return String(decoding: try await inv.readValues(types: [upload.result!], shape: .bare).json, as: UTF8.self)
        }
        #expect(digest == "{\"bytes\":\(size),\"sha256\":\"\(expectedDigest)\"}")

        // Echo: send and receive concurrently, compare the bytes.
        let (_, echo) = Self.demo("blobs", "echo")
        let echoed = try await client.call(instance: blobs, name: echo.wireName, params: [0], deadline: deadline(120)) { inv in
            async let sending: Void = {
                var i = 0
                while i < data.count {
                    let end = min(i + 100_000, data.count)
                    try await inv.sendStreamChunk(path: [0], bytes: Array(data[i..<end]))
                    i = end
                }
                try await inv.endStream(path: [0])
                try await inv.closeWrite()
            }()
            let root = try await inv.readValues(types: [echo.result!], shape: .bare)
            #expect(root.pending.map(\.path) == [[0]])
            var received = UploadDigest()
            var count = 0
            try await inv.readStream(path: [0], element: .primitive(.u8)) { event in
                if case .bytes(let b) = event {
                    received.update(b)
                    count += b.count
                }
            }
            try await sending
            return (count, received.hex())
        }
        #expect(echoed.0 == size)
        #expect(echoed.1 == expectedDigest)

        let (_, download) = Self.demo("blobs", "download")
        let downloaded = try await client.call(instance: blobs, name: download.wireName, params: leb(UInt64(size)), deadline: deadline(120)) { inv in
            try await inv.closeWrite()
            _ = try await inv.readValues(types: [download.result!], shape: .bare)
            var offset: UInt64 = 0
            var exact = true
            try await inv.readStream(path: [0], element: .primitive(.u8)) { event in
                if case .bytes(let b) = event {
                    for byte in b {
                        if byte != DemoBackend.downloadByte(offset) { exact = false }
                        offset += 1
                    }
                }
            }
            return (offset, exact)
        }
        #expect(downloaded.0 == UInt64(size))
        #expect(downloaded.1)
    }

    /// A 1 MiB `list<u8>` sent and returned whole, as one value.
    @Test func oneMebibyteValue() async throws {
        let (client, stop) = try await startDemo("tcp")
        defer { stop() }
        let data = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let b64 = Data(data).base64EncodedString()
        #expect(try await Self.call(client, "types", "echo-bytes", "[\"\(b64)\"]") == "\"\(b64)\"")
    }

    @Test func connectionRefusedIsUnavailable() async throws {
        // Bound, not listening, and held: a port closed here could be taken
        // by a test beside before the call (it was, once, under load).
        let refusing = try RefusingPort()
        let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: refusing.port))
        await #expect(throws: CallError.self) { _ = try await Self.call(client, "greeter", "hello", "[\"x\"]") }
        do {
            _ = try await Self.call(client, "greeter", "hello", "[\"x\"]")
        } catch let error as CallError {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
        withExtendedLifetime(refusing) {}
        let missing = WRPCClient(transport: UnixTransport(path: "/tmp/no-such-wrpc-\(UUID().uuidString).sock"))
        do {
            _ = try await Self.call(missing, "greeter", "hello", "[\"x\"]")
            Issue.record("connected to a missing socket")
        } catch let error as CallError {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
    }

    @Test func silentServerHitsTheDeadline() async throws {
        let peer = try ScriptedPeer(.silent)
        defer { peer.stop() }
        let client = WRPCClient(transport: try Transports.client(for: peer.url))
        let (instance, f) = Self.demo("greeter", "hello")
        let started = ContinuousClock.now
        do {
            _ = try await client.invoke(instance: instance, function: f, params: [1, 0x78], deadline: .now + .milliseconds(300))
            Issue.record("a silent server answered")
        } catch let error as CallError {
            guard case .deadlineExceeded = error else { Issue.record("expected deadline, got \(error)"); return }
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(30))
    }

    @Test func serverClosingMidResultIsAProtocolError() async throws {
        // A string result that promises 13 bytes and delivers 5.
        let peer = try ScriptedPeer(.closeAfter(10, [0x00, 0x06, 0x0d] + Array("hello".utf8)))
        defer { peer.stop() }
        let client = WRPCClient(transport: try Transports.client(for: peer.url))
        let (instance, f) = Self.demo("greeter", "hello")
        do {
            _ = try await client.invoke(instance: instance, function: f, params: [1, 0x78], deadline: deadline(30))
            Issue.record("a cut result decoded")
        } catch let error as CallError {
            guard case .protocolError(let m) = error else { Issue.record("expected protocol error, got \(error)"); return }
            #expect(m.contains("closed before"))
        }
    }

    @Test func inProcessTransport() async throws {
        let listener = InProcessListener()
        let server = try DemoBackend.server()
        let task = Task { await server.serve(listener) }
        defer { task.cancel(); listener.close() }
        let client = WRPCClient(transport: listener.client)
        #expect(try await Self.call(client, "greeter", "hello", "[\"pipe\"]") == "\"Hello, pipe!\"")
        #expect(try await Self.call(client, "blobs", "count", "[3]") == "[1,2,3]")
    }

    @Test func transportURLs() throws {
        let v6 = try TransportURL("tcp://[::1]:7761")
        #expect(v6.host == "::1" && v6.port == 7761)
        let v4 = try TransportURL("tcp://127.0.0.1:80")
        #expect(v4.host == "127.0.0.1" && v4.port == 80)
        #expect(try TransportURL("unix:///tmp/x.sock").path == "/tmp/x.sock")
        #expect(throws: (any Error).self) { _ = try Transports.client(for: "nats://x:1") }
        #expect(throws: (any Error).self) { _ = try Transports.client(for: "tcp://host") }
        #expect(throws: (any Error).self) { _ = try Transports.client(for: "127.0.0.1:80") }
    }

    @Test func ipv6Loopback() async throws {
        let server = try DemoBackend.server()
        guard let listener = try? SocketListener.tcp(host: "::1", port: 0) else { return }  // no IPv6 here
        let task = Task { await server.serve(listener) }
        defer { task.cancel(); listener.close() }
        let client = WRPCClient(transport: try Transports.client(for: "tcp://[::1]:\(listener.port!)"))
        #expect(try await Self.call(client, "greeter", "hello", "[\"v6\"]") == "\"Hello, v6!\"")
    }
}

func leb(_ v: UInt64) -> [UInt8] {
    var out: [UInt8] = []
    var x = v
    while x >= 0x80 { out.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
    out.append(UInt8(x))
    return out
}
