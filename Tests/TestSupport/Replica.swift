import ComponentValues
import DemoBackend
import Foundation
import Synchronization
import WIT
import WRPCTransport
import Locking

/// One replica of a backend for pool tests: a real wRPC server on a
/// loopback TCP port serving the demo's `greeter.hello`, counting the calls
/// it answers. `stop()` is a crash as callers see it (listener and every
/// connection gone); `restart()` brings it back on the same address.
/// A call whose name is "hold" waits until `release()`; "slow" takes
/// `slowCall`; "hang-up" closes the connection without an answer (a
/// function that fails every call, beside the ones that do not).
public final class Replica: Sendable {
    public static let greeter = "wrpc-gateway:demo/greeter@0.1.0"
    public static let hello: Function = {
        let resolve = try! DemoBackend.resolve()
        return resolve.main.interface(named: "greeter")!.function(named: "hello")!
    }()

    /// How long a "slow" call takes.
    public static let slowCall = Duration.milliseconds(300)

    public let host: String
    public let port: Int
    /// Calls answered (or held) so far.
    public let calls = Atomic<Int>(0)
    /// Calls waiting for `release()`.
    public let holding = Atomic<Int>(0)
    private let gate = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let running = Locked<(SocketListener, Task<Void, Never>)?>(nil)
    /// While stopped, the port stays bound (not listening), so that no test
    /// beside takes it and answers the calls meant to be refused.
    private let held = Locked<RefusingPort?>(nil)

    public init(host: String = "127.0.0.1", port: Int = 0) throws {
        self.host = host
        let listener = try SocketListener.tcp(host: host, port: port)
        self.port = listener.port!
        serve(listener)
    }

    public var url: String { host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)" }

    private func serve(_ listener: SocketListener) {
        var server = WRPCServer()
        server.logger.logLevel = .critical
        server.handle(instance: Self.greeter, function: Self.hello) { [self] params in
            calls.add(1, ordering: .relaxed)
            let name = params.first?.stringValue ?? ""
            if name == "hold" { await wait() }
            if name == "slow" { try await Task.sleep(for: Self.slowCall) }
            if name == "hang-up" { throw HangUp() }
            return .string("Hello, \(name)!")
        }
        let task = Task { [server] in await server.serve(listener) }
        running.withLock { $0 = (listener, task) }
    }

    private func wait() async {
        holding.add(1, ordering: .relaxed)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = gate.withLock { g -> Bool in
                if g.open { return true }
                g.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
        holding.subtract(1, ordering: .relaxed)
    }

    /// Lets held calls (and later ones) finish.
    public func release() {
        let waiters = gate.withLock { g -> [CheckedContinuation<Void, Never>] in
            g.open = true
            defer { g.waiters = [] }
            return g.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Gone: new connections are refused, open ones are dropped.
    public func stop() {
        guard let (listener, task) = running.withLock({ r in defer { r = nil }; return r }) else { return }
        listener.close()
        task.cancel()
        if host == "127.0.0.1" { held.withLock { $0 = try? RefusingPort(port: port) } }
    }

    /// Back on the same address.
    public func restart() throws {
        held.withLock { $0 = nil }
        serve(try SocketListener.tcp(host: host, port: port))
    }
}

/// The JSON parameters of `greeter.hello` as wire bytes.
public func helloParams(_ name: String) -> [UInt8] {
    var bytes: [UInt8] = []
    try! ValueEncoder.encodeParameters(json: Array("{\"name\":\"\(name)\"}".utf8), params: Replica.hello.params, into: &bytes)
    return bytes
}

/// Polls `condition` until it holds or `deadline` passes; whether it held.
public func eventually(by deadline: ContinuousClock.Instant, _ condition: () -> Bool) async -> Bool {
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// What a "hang-up" call throws: the server then closes the connection.
private struct HangUp: Error {}
