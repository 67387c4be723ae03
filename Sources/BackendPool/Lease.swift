import Synchronization

/// One call's hold on a member, from the moment it is picked until its
/// connection closes (or fails to open): counts it in flight exactly once.
final class Lease: Sendable {
    let backend: Backend
    /// When the member was picked: the call was sent about then.
    let sent = ContinuousClock.now
    weak let pool: BackendPool?
    private let ended = Atomic<Bool>(false)
    /// Whether the member sent anything back (a hung one sends nothing).
    private let answered = Atomic<Bool>(false)

    init(_ backend: Backend, pool: BackendPool) {
        self.backend = backend
        self.pool = pool
        backend.began()
    }

    var hasAnswered: Bool { answered.load(ordering: .relaxed) }

    func received() {
        if !answered.load(ordering: .relaxed) { answered.store(true, ordering: .relaxed) }
    }

    func end() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        backend.ended()
        if backend.isDraining { pool?.forgetIfDrained(backend) }
    }
}
