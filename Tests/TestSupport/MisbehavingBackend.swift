import EventLoops
import Synchronization
import WRPCTransport

/// A backend that accepts a call and reads its first bytes, then either
/// hangs up without answering (the call's bytes were on the wire, so it
/// must fail rather than be tried elsewhere) or never says anything at all,
/// as a stopped process (SIGSTOP) looks from outside.
public final class MisbehavingBackend: Sendable {
    public enum Mode: Sendable { case hangUp, silent }

    public let listener: SocketListener
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counter = Counter()
    private let task: Task<Void, Never>

    /// Connections that sent something.
    public var calls: Int { counter.value.load(ordering: .relaxed) }

    public init(_ mode: Mode) throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        self.listener = listener
        let counter = self.counter
        // Accepting on one loop: from outside any loop, each accept() would
        // pick the shared group's next loop and leave a watcher on the last
        // one, and a connection's wake-up can go to a loop nobody waits on.
        task = Task(executorPreference: EventLoopGroup.shared.next()) {
            await withDiscardingTaskGroup { group in
                while let stream = try? await listener.accept() {
                    group.addTask {
                        defer { stream.close() }
                        guard let bytes = try? await stream.read(), !bytes.isEmpty else { return }
                        counter.value.add(1, ordering: .relaxed)
                        guard mode == .silent else { return }
                        // Hold the connection, answering nothing, until stopped
                        // (the caller's half-close included: a stopped process
                        // does not close either).
                        while let more = try? await stream.read(), !more.isEmpty {}
                        try? await Task.sleep(for: .seconds(3600))
                    }
                }
            }
        }
    }

    public var url: String { listener.address }

    public func stop() {
        task.cancel()
        listener.close()
    }
}
