import ComponentValues
import Foundation
import Gateway
import Logging
import Synchronization
import Testing
import WIT
import WRPCTransport

/// A resource-serving backend for affinity tests, several of which make a
/// pool: each replica is a real wRPC server on loopback TCP whose handles
/// are `NAME/label` (so a handle says which replica made it) and whose
/// answers say which replica gave them.
final class BoxReplica: Sendable {
    static let instance = "test:boxes/store@0.1.0"
    static let wit = """
        package test:boxes@0.1.0;

        interface store {
          resource box {
            /// `ANSWERING holds MAKER/label`.
            where: func() -> string;
          }
          record shelf {
            label: string,
            boxes: list<box>,
          }
          make: func(label: string) -> box;
          shelve: func(label: string, n: u8) -> result<shelf, string>;
          maybe: func(label: string) -> option<tuple<u8, box>>;
          pair: func(a: borrow<box>, b: borrow<box>) -> string;
          nested: func(boxes: list<option<borrow<box>>>) -> string;
          many: func(label: string, n: u8) -> stream<box>;
          later: func(label: string) -> future<box>;
          stash: func(b: borrow<box>, data: list<u8>) -> string;
          greet: func(name: string) -> string;
        }
        """

    static let resolve: Resolve = try! Resolve.load(main: [SourceText(path: "boxes.wit", text: wit)], dependencies: [])

    let name: String
    let url: String
    /// Calls this replica answered.
    let counter = Counter()
    var calls: Int { counter.value.load(ordering: .relaxed) }
    private let listener: SocketListener
    private let task: Task<Void, Never>

    init(_ name: String) throws {
        self.name = name
        let iface = Self.resolve.main.interface(named: "store")!
        var server = WRPCServer(logger: Logger(label: "boxes", factory: { _ in SwiftLogNoOpLogHandler() }))
        let counter = self.counter
        func handle(_ function: String, _ body: @escaping @Sendable ([JSONValue]) -> JSONValue) {
            server.handle(instance: Self.instance, function: iface.function(named: function)!) { params in
                counter.value.add(1, ordering: .relaxed)
                return body(params)
            }
        }
        @Sendable func box(_ label: String) -> JSONValue { .string(Data("\(name)/\(label)".utf8).base64EncodedString()) }
        @Sendable func label(_ handle: JSONValue?) -> String {
            String(decoding: Data(base64Encoded: handle?.stringValue ?? "") ?? Data(), as: UTF8.self)
        }
        handle("make") { box($0[0].stringValue ?? "") }
        handle("[method]box.where") { .string("\(name) holds \(label($0[0]))") }
        handle("shelve") { p in
            let n = Int(p[1].uint64Value ?? 0)
            return .object([("tag", .string("ok")), ("val", .object([
                ("label", p[0]), ("boxes", .array((0..<n).map { box("\(p[0].stringValue ?? "")-\($0)") })),
            ]))])
        }
        handle("maybe") { .array([.number(7), box($0[0].stringValue ?? "")]) }
        handle("pair") { .string("\(name): \(label($0[0])) and \(label($0[1]))") }
        handle("nested") { _ in .string(name) }
        handle("many") { p in .array((0..<Int(p[1].uint64Value ?? 0)).map { box("\(p[0].stringValue ?? "")-\($0)") }) }
        handle("later") { box($0[0].stringValue ?? "") }
        handle("stash") { .string("\(name) stashed \(($0[1].stringValue.flatMap { Data(base64Encoded: $0) } ?? Data()).count) bytes in \(label($0[0]))") }
        handle("greet") { .string("\(name) greets \($0[0].stringValue ?? "")") }
        listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        url = listener.address
        task = Task { [server, listener] in await server.serve(listener) }
    }

    func stop() {
        task.cancel()
        listener.close()
    }

    /// A gateway on an ephemeral port in front of `replicas`, one pool.
    static func gateway(_ replicas: [BoxReplica], configure: (inout GatewayConfig) -> Void = { _ in }) throws -> Gateway {
        var config = GatewayConfig(targets: replicas.map(\.url))
        config.port = 0
        configure(&config)
        let gateway = try Gateway(resolve: resolve, config: config, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try gateway.start()
        return gateway
    }
}

/// The member a handle token names: the gateway's token layout (version,
/// the address's length in two bytes, the address, …), read here as a
/// client never needs to.
func tokenMember(_ token: String?) -> String? {
    guard let token else { return nil }
    var text = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    text += String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
    guard let data = Data(base64Encoded: text), data.count > 3, data[data.startIndex] == 1 else { return nil }
    let bytes = [UInt8](data)
    let length = Int(bytes[1]) << 8 | Int(bytes[2])
    guard bytes.count >= 3 + length else { return nil }
    return String(decoding: bytes[3..<(3 + length)], as: UTF8.self)
}

/// A JSON string literal of `text`.
func quoted(_ text: String) -> String { String(decoding: JSONValue.string(text).bytes, as: UTF8.self) }

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
