import Locking

/// When each injected fault started and ended, shared by the fault driver
/// and the 64 callers, which ask whether a call overlapped one.
final class SoakFaultLog: Sendable {
    private struct Entry {
        let fault: SoakFault
        let start: ContinuousClock.Instant
        var end: ContinuousClock.Instant?
    }

    /// How long after a fault ends its effects may still show: a call sent
    /// just before the end can still time out (its deadline), and a stalled
    /// stream is cut only after the gateway's stream idle timeout.
    let grace: Duration
    private let entries = Locked<[Entry]>([])

    init(grace: Duration) { self.grace = grace }

    func begin(_ fault: SoakFault) {
        entries.withLock { $0.append(Entry(fault: fault, start: .now)) }
    }

    func end() {
        entries.withLock { $0[$0.count - 1].end = .now }
    }

    /// The fault going on now, if any.
    var active: SoakFault? {
        entries.withLock { $0.last.flatMap { $0.end == nil ? $0.fault : nil } }
    }

    /// The fault whose window (start to end plus `grace`) overlaps a call
    /// that ran from `from` to `to`.
    func covering(from: ContinuousClock.Instant, to: ContinuousClock.Instant) -> SoakFault? {
        entries.withLock { list in
            list.last { $0.start <= to && ($0.end.map { $0 + grace >= from } ?? true) }?.fault
        }
    }

    /// Faults that began in `from..<to`, as "kill, stop" for a table cell.
    func started(from: ContinuousClock.Instant, to: ContinuousClock.Instant) -> String {
        let names = entries.withLock { $0.filter { $0.start >= from && $0.start < to }.map(\.fault.rawValue) }
        return names.isEmpty ? "–" : names.joined(separator: ", ")
    }
}
