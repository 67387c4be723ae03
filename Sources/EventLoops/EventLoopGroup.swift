import CSystemShims
import Synchronization
import Locking

/// A fixed set of event loops, one thread each: by default one per CPU the
/// process may use. Work that is not already on a loop is spread over them.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// `spin`: how long an idle loop keeps polling its descriptors before
    /// it blocks. Answers from a backend on the same host typically come
    /// within tens of microseconds; sleeping and being woken for each costs
    /// more than that, and far more on some hypervisors. Zero: never poll.
    public init(threads: Int, name: String = "wrpc-loop", spin: Duration = defaultSpin) {
        precondition(threads >= 1, "an event loop group needs at least one loop")
        loops = (0..<threads).map { EventLoop(index: $0, name: "\(name)-\($0)", spin: spin) }
    }

    public static let defaultSpin: Duration = .microseconds(50)

    /// The loop to give new work to: the caller's own when it runs on one
    /// of ours (no hop), else the next in turn.
    public func next() -> EventLoop {
        if let current = EventLoop.current, loops.contains(where: { $0 === current }) { return current }
        return loops[cursor.add(1, ordering: .relaxed).newValue % loops.count]
    }

    /// CPUs this process may run on.
    public static var availableCPUs: Int { Int(wrpc_available_cpus()) }

    private static let sharedGroup = Locked<EventLoopGroup?>(nil)

    /// The process's loops, created on first use with `threads` loops if
    /// `configureShared` ran before, else one per available CPU.
    public static var shared: EventLoopGroup {
        sharedGroup.withLock { group in
            if let group { return group }
            let made = EventLoopGroup(threads: availableCPUs)
            group = made
            return made
        }
    }

    /// Sets the number of shared loops; only before anything used them.
    /// Returns false when the shared group already exists with another size.
    @discardableResult
    public static func configureShared(threads: Int, spin: Duration = defaultSpin) -> Bool {
        sharedGroup.withLock { group in
            if let group { return group.loops.count == threads }
            group = EventLoopGroup(threads: max(1, threads), spin: spin)
            return true
        }
    }

    /// Wake-ups of loop threads from other threads so far, summed.
    public var crossThreadWakeups: Int {
        loops.reduce(0) { $0 + $1.remoteWakes.load(ordering: .relaxed) }
    }
}

extension EventLoop {
    /// The loop the caller runs on, or one of the shared group's.
    public static var currentOrShared: EventLoop {
        current ?? EventLoopGroup.shared.next()
    }
}
