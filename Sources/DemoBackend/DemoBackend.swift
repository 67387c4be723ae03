import ComponentValues
import Logging
import WIT
import WRPCTransport
import Locking

/// The demo backend: a wRPC server in Swift hosting `wrpc-gateway:demo`.
public enum DemoBackend {
    /// The demo WIT, resolved.
    public static func resolve() throws -> Resolve {
        try Resolve.load(main: [SourceText(path: "demo.wit", text: DemoWIT.text)], dependencies: [])
    }

    /// A server with every demo function registered.
    public static func server(logger: Logger = Logger(label: "demo-backend")) throws -> WRPCServer {
        let resolve = try resolve()
        var server = WRPCServer(logger: logger)
        let store = Store()
        for iface in resolve.main.interfaces {
            for f in iface.functions {
                let instance = iface.qualifiedName
                switch iface.name {
                case "greeter": server.handle(instance: instance, function: f) { params in
                    .string("Hello, \(params.first?.stringValue ?? "stranger")!")
                }
                case "keyvalue": server.handle(instance: instance, function: f) { params in
                    try store.call(f.name, params)
                }
                case "types": server.handle(instance: instance, function: f) { params in
                    types(f.name, params)
                }
                case "blobs": server.handle(instance: instance, function: f) { call in
                    try await blobs(f.name, call)
                }
                default: continue
                }
            }
        }
        DemoHTTP.register(&server)
        return server
    }

    static func types(_ name: String, _ params: [JSONValue]) -> JSONValue? {
        switch name {
        case "extremes": return .array([.number(String(UInt64.max)), .number(String(Int64.min)), .number(String(Int64.max))])
        case "nothing": return nil
        case "echo-floats": return .array(params)
        default: return params.first
        }
    }

    /// The byte at offset `i` of a download: easy to check at the other end.
    public static func downloadByte(_ i: UInt64) -> UInt8 { UInt8(i % 251) }

    static func blobs(_ name: String, _ call: ServerCall) async throws {
        let channel = call.channel
        switch name {
        case "upload":
            var hash = UploadDigest()
            var count: UInt64 = 0
            try await forEachChunk(of: call, parameter: 0) { bytes in
                hash.update(bytes)
                count += UInt64(bytes.count)
            }
            try await call.respond(.object([("bytes", .number(count)), ("sha256", .string(hash.hex()))]))
        case "download":
            let n = min(call.params.first?.uint64Value ?? 0, 64 << 20)
            try await channel.send(path: [], data: [0])
            var sent: UInt64 = 0
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while sent < n {
                let size = Int(min(UInt64(chunk.count), n - sent))
                for i in 0..<size { chunk[i] = downloadByte(sent + UInt64(i)) }
                try await channel.sendStreamChunk(path: [0], bytes: Array(chunk[0..<size]))
                sent += UInt64(size)
            }
            try await channel.endStream(path: [0])
        case "echo":
            try await channel.send(path: [], data: [0])
            try await forEachChunk(of: call, parameter: 0) { bytes in
                try await channel.sendStreamChunk(path: [0], bytes: bytes)
            }
            try await channel.endStream(path: [0])
        case "count":
            let n = min(call.params.first?.uint64Value ?? 0, 1_000_000)
            try await channel.send(path: [], data: [0])
            var i: UInt64 = 1
            while i <= n {
                let batch = min(n - i + 1, 128)
                // A chunk is `list<u64>`: its count, then the numbers, all LEB128.
                var chunk: [UInt8] = []
                writeUnsignedLEB(batch, into: &chunk)
                for v in i..<(i + batch) { writeUnsignedLEB(v, into: &chunk) }
                try await channel.send(path: [0], data: chunk)
                i += batch
            }
            try await channel.endStream(path: [0])
        default:
            throw ProtocolError.malformed("no blobs function \(name)")
        }
    }

    /// The bytes of a `stream<u8>` parameter, sent whole or pending.
    static func forEachChunk(of call: ServerCall, parameter: UInt32,
                             _ body: ([UInt8]) async throws -> Void) async throws {
        if let pending = call.pendingParameter([parameter]), case .stream(let element) = pending.type {
            try await call.channel.readStream(path: pending.path, element: element) { event in
                if case .bytes(let b) = event { try await body(b) }
            }
        } else if let bytes = call.params[Int(parameter)].base64Bytes {
            try await body(bytes)
        }
    }
}

/// The key-value store: buckets by name; a bucket's handle is its name.
final class Store: Sendable {
    private let buckets = Locked<[String: [String: [UInt8]]]>([:])

    func call(_ name: String, _ params: [JSONValue]) throws -> JSONValue? {
        let err = { (c: String) in JSONValue.tagged("err", .tagged(c)) }
        if name == "open" {
            let id = params.first?.stringValue ?? ""
            if id.hasPrefix("private") { return err("access-denied") }
            if id.isEmpty { return .tagged("err", .tagged("other", .string("a bucket needs a name"))) }
            buckets.withLock { b in if b[id] == nil { b[id] = [:] } }
            return .tagged("ok", .bytes(Array(id.utf8)))
        }
        let handle = String(decoding: params.first?.base64Bytes ?? [], as: UTF8.self)
        let key = params.count > 1 ? params[1].stringValue ?? "" : ""
        return buckets.withLock { b -> JSONValue in
            guard var bucket = b[handle] else { return err("no-such-store") }
            defer { b[handle] = bucket }
            switch name {
            case "[method]bucket.get":
                return .tagged("ok", bucket[key].map { JSONValue.bytes($0) } ?? .null)
            case "[method]bucket.set":
                bucket[key] = params[2].base64Bytes ?? []
                return .tagged("ok")
            case "[method]bucket.delete":
                bucket[key] = nil
                return .tagged("ok")
            case "[method]bucket.exists":
                return .tagged("ok", .bool(bucket[key] != nil))
            case "[method]bucket.list-keys":
                let after = params.count > 1 ? params[1].stringValue : nil
                let keys = bucket.keys.sorted().filter { after == nil || $0 > after! }
                let page = Array(keys.prefix(10))
                let cursor: JSONValue = keys.count > 10 ? .string(page.last!) : .null
                return .tagged("ok", .object([("keys", .array(page.map { .string($0) })), ("cursor", cursor)]))
            default:
                return .tagged("err", .tagged("other", .string("unknown function \(name)")))
            }
        }
    }
}
