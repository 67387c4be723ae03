import Foundation
import Synchronization

/// The test process's resident set, sampled on a thread of its own while a
/// transfer runs: a body held whole shows up as its size in the peak.
public final class ResidentMemory: Sendable {
    private let peak = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    public let baseline: Int

    public init() {
        baseline = Self.current()
        peak.store(baseline, ordering: .relaxed)
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                let now = Self.current()
                if now > peak.load(ordering: .relaxed) { peak.store(now, ordering: .relaxed) }
                usleep(20_000)
            }
        }
        thread.start()
    }

    /// Stops sampling; the highest resident set seen above the baseline, in bytes.
    public func stop() -> Int {
        running.store(false, ordering: .relaxed)
        return max(0, peak.load(ordering: .relaxed) - baseline)
    }

    /// Whether a bound on the resident set tests the code: under a
    /// sanitizer the allocator is the sanitizer's (ASan keeps freed memory
    /// in a quarantine of 256 MiB), so the other checks of such a test run
    /// and its bound does not.
    public static var measurable: Bool { !Sanitizers.any }

    /// VmRSS of this process, in bytes.
    public static func current() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (Int(line.split(separator: " ")[1]) ?? 0) * 1024
        }
        return 0
    }
}
