import CSystemShims
import Glibc

/// Gives freed allocator memory back to the kernel after the process grew.
///
/// `MemoryTuning` keeps freed stream buffers in the heap so that the next
/// piece is not mapped and zeroed anew; while streams flow that halves the
/// CPU per MiB. The cost is that a burst's high-water mark stays resident
/// for good: sixteen `count` streams cut by a killed backend left the
/// gateway at 238 MiB, of which `malloc_trim` gave back 181 MiB (the fault
/// memory check). So one loop looks once per `period` at the anonymous
/// resident set and trims when it grew since the last trim (the rule is
/// `shouldRelease`). A steady stream costs one small read per period; a
/// burst is given back within two periods of its end. Under jemalloc (the
/// executable's allocator) the same holds for its dirty pages: it returns
/// them on its own over ten seconds, but only while the process allocates,
/// so an idle process would keep a burst's pages.
public final class FreeMemoryRelease: @unchecked Sendable {
    // @unchecked: the variables are touched only on `loop`'s thread (the
    // first schedule hops there).
    public let loop: EventLoop
    public let period: Duration
    public let slack: Int
    public let allocator: AllocatorControl
    private var baseline: Int
    private var previous: Int
    /// The allocator's free bytes after the last trim, lowered as memory is
    /// taken again: what it grew by since is memory freed since.
    private var freeMark = Int.max
    private var timer: LoopTimer?
    private var stopped = false
    /// The resident bytes the trims gave back in all (read it on the
    /// loop's thread).
    public private(set) var releasedBytes = 0

    /// Starts looking on `loop`.
    @discardableResult
    public static func start(on loop: EventLoop, period: Duration = .seconds(1),
                             slack: Int = 4 << 20, allocator: AllocatorControl = .glibc) -> FreeMemoryRelease {
        let release = FreeMemoryRelease(loop: loop, period: period, slack: slack, allocator: allocator)
        loop.execute { release.arm() }
        return release
    }

    private init(loop: EventLoop, period: Duration, slack: Int, allocator: AllocatorControl) {
        self.loop = loop
        self.period = period
        self.slack = slack
        self.allocator = allocator
        self.baseline = Self.residentBytes() ?? 0
        self.previous = baseline
    }

    /// Stops looking; safe from any thread.
    public func stop() {
        loop.execute { [self] in
            stopped = true
            timer?.cancel()
            timer = nil
        }
    }

    /// Whether a look should trim. While the process grows, only past
    /// `slack`; once it has settled (within a quarter of the slack of the
    /// previous look), any growth beyond that quarter, so that the end of a
    /// small burst is given back too. Never when little is free: growth that
    /// is live memory cannot be given back. And when more than `slack` was
    /// `freed` since the last trim: a trim in the middle of a burst finds its
    /// memory still live, and when the burst then ends the resident set does
    /// not grow, it only stops being used.
    static func shouldRelease(resident: Int, previous: Int, baseline: Int, free: Int, freed: Int, slack: Int) -> Bool {
        let settle = slack / 4
        let grown = resident - baseline
        guard free > settle else { return false }
        return freed > slack || grown > slack || (grown > settle && abs(resident - previous) < settle)
    }

    private func arm() {
        guard !stopped else { return }
        timer = loop.schedule(after: period) { [self] in
            look()
            arm()
        }
    }

    private func look() {
        guard let resident = Self.residentBytes() else { return }
        defer { previous = resident }
        let free = allocator.freeBytes()
        // Shrinking (streams ended, the kernel reclaimed) moves the marks
        // down, so growth is always measured from the lowest point since.
        freeMark = min(freeMark, free)
        guard Self.shouldRelease(resident: resident, previous: previous, baseline: baseline,
                                 free: free, freed: free - freeMark, slack: slack) else {
            baseline = min(baseline, resident)
            return
        }
        allocator.release()
        let after = Self.residentBytes() ?? resident
        releasedBytes += resident - after
        baseline = after
        freeMark = allocator.freeBytes()
    }

    static func residentBytes() -> Int? {
        let pages = wrpc_resident_anonymous_pages()
        return pages < 0 ? nil : pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
