import ComponentValues
import Foundation
import Testing
import TestSupport
import WIT
@testable import WRPCTransport
import Locking


func function(_ wit: String, _ iface: String, _ name: String) throws -> (String, Function) {
    let resolve = try Resolve.load(main: [SourceText(path: "t.wit", text: wit)], dependencies: [])
    let i = try #require(resolve.packages.flatMap(\.interfaces).first { $0.name == iface })
    return (i.qualifiedName, try #require(i.function(named: name)))
}

let helloWIT = "package wrpc-examples:hello; interface handler { hello: func() -> string; }"
let keyvalueWIT = """
    package wasi:keyvalue@0.2.0-draft2;
    interface store {
      variant error { no-such-store, access-denied, other(string) }
      record key-response { keys: list<string>, cursor: option<string> }
      open: func(identifier: string) -> result<bucket, error>;
      resource bucket {
        get: func(key: string) -> result<option<list<u8>>, error>;
        set: func(key: string, value: list<u8>) -> result<_, error>;
      }
    }
    """
let streamsWIT = """
    package wrpc-examples:streams;
    interface handler {
      record req { numbers: stream<u64>, bytes: stream<u8> }
      echo: func(r: req) -> tuple<stream<u64>, stream<u8>>;
    }
    """

/// A real loopback TCP peer that records what a client sends and answers
/// with given bytes (optionally never, or cut short).
final class ScriptedPeer: Sendable {
    enum Behaviour: Sendable {
        /// Read until the client half-closes, then answer.
        case answerAfterEOF([UInt8])
        /// Answer once this many request bytes arrived.
        case answerAfter(Int, [UInt8])
        /// Accept and never say anything.
        case silent
        /// Answer these bytes, then close the connection.
        case closeAfter(Int, [UInt8])
    }

    let listener: SocketListener
    let received = Locked<[UInt8]>([])
    private let task: Locked<Task<Void, Never>?> = Locked(nil)

    var url: String { listener.address }

    init(_ behaviour: Behaviour) throws {
        listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let listener = self.listener
        let t = Task { [self] in
            guard let stream = try? await listener.accept() else { return }
            defer { stream.close() }
            func readUntil(_ done: ([UInt8]) -> Bool) async {
                while let bytes = try? await stream.read(), !bytes.isEmpty {
                    let all = self.received.withLock { $0 += bytes; return $0 }
                    if done(all) { return }
                }
            }
            switch behaviour {
            case .answerAfterEOF(let answer):
                await readUntil { _ in false }
                try? await stream.write(answer)
            case .answerAfter(let n, let answer):
                await readUntil { $0.count >= n }
                try? await stream.write(answer)
                try? await Task.sleep(for: .seconds(30))
            case .silent:
                await readUntil { _ in false }
                try? await Task.sleep(for: .seconds(30))
            case .closeAfter(let n, let answer):
                await readUntil { $0.count >= n }
                try? await stream.write(answer)
            }
        }
        task.withLock { $0 = t }
    }

    func stop() {
        task.withLock { $0?.cancel() }
        listener.close()
    }
}

/// A connection whose reads return scripted pieces, for split tests.
final class ScriptedStream: ByteStream {
    let pieces: Locked<[[UInt8]]>
    let written = Locked<[UInt8]>([])

    init(_ pieces: [[UInt8]]) { self.pieces = Locked(pieces) }

    func read() async throws -> [UInt8] {
        pieces.withLock { $0.isEmpty ? [] : $0.removeFirst() }
    }
    func write(_ bytes: [UInt8]) async throws { written.withLock { $0 += bytes } }
    func closeWrite() async throws {}
    func close() {}
}

struct ScriptedTransport: ClientTransport {
    let stream: ScriptedStream
    var target: String { "scripted" }
    func connect() async throws -> any ByteStream { stream }
}

/// A demo server on a fresh transport; stopped by the returned closure.
func startDemo(_ scheme: String) async throws -> (client: WRPCClient, stop: @Sendable () -> Void) {
    let server = try DemoBackendServer.make()
    let listener: SocketListener
    if scheme == "unix" {
        listener = try SocketListener.unix(path: NSTemporaryDirectory() + "wrpc-test-\(UUID().uuidString.prefix(8)).sock")
    } else {
        listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    }
    let task = Task { await server.serve(listener) }
    let client = WRPCClient(transport: try Transports.client(for: listener.address))
    return (client, { task.cancel(); listener.close() })
}

func deadline(_ seconds: Double = 30) -> ContinuousClock.Instant { .now + .seconds(seconds) }
