import Synchronization

/// A callback due at a point in time on one loop. Cancelling is safe from
/// any thread; a cancelled timer never fires.
public final class LoopTimer: @unchecked Sendable {
    // @unchecked: `heapIndex` and `action` are touched only on the loop's thread.
    let due: Int64
    let sequence: UInt64
    var heapIndex = -1
    var action: (@Sendable () -> Void)?
    private let cancelled = Atomic<Bool>(false)
    let loop: EventLoop

    init(loop: EventLoop, due: Int64, sequence: UInt64, action: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.due = due
        self.sequence = sequence
        self.action = action
    }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    public func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.remove(self)
    }
}

/// The loop's timers: a binary min-heap by due time, then by creation order,
/// in which each timer knows its index so that cancelling is O(log n)
/// (deadlines are mostly cancelled, not fired).
struct TimerHeap {
    private var items: [LoopTimer] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var first: LoopTimer? { items.first }

    private static func before(_ a: LoopTimer, _ b: LoopTimer) -> Bool {
        a.due != b.due ? a.due < b.due : a.sequence < b.sequence
    }

    mutating func insert(_ t: LoopTimer) {
        t.heapIndex = items.count
        items.append(t)
        up(items.count - 1)
    }

    mutating func remove(_ t: LoopTimer) {
        let i = t.heapIndex
        guard i >= 0, i < items.count, items[i] === t else { return }
        let last = items.count - 1
        if i != last {
            items.swapAt(i, last)
            items[i].heapIndex = i
        }
        items.removeLast()
        t.heapIndex = -1
        if i < items.count {
            up(i)
            down(i)
        }
    }

    mutating func popFirst() -> LoopTimer? {
        guard let t = items.first else { return nil }
        remove(t)
        return t
    }

    private mutating func up(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(items[i], items[parent]) else { return }
            items.swapAt(i, parent)
            items[i].heapIndex = i
            items[parent].heapIndex = parent
            i = parent
        }
    }

    private mutating func down(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && Self.before(items[l], items[smallest]) { smallest = l }
            if r < items.count && Self.before(items[r], items[smallest]) { smallest = r }
            guard smallest != i else { return }
            items.swapAt(i, smallest)
            items[i].heapIndex = i
            items[smallest].heapIndex = smallest
            i = smallest
        }
    }
}
