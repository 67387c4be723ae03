import Testing
import TestSupport
@testable import EventLoops

@Suite struct FreeMemoryReleaseTests {
    @Test func growthIsReleasedPastTheSlackOrOnceSettled() {
        let mib = 1 << 20, slack = 4 * mib
        func should(_ resident: Int, previous: Int, baseline: Int = 50, free: Int = 40, freed: Int = 0) -> Bool {
            FreeMemoryRelease.shouldRelease(resident: resident * mib, previous: previous * mib,
                                            baseline: baseline * mib, free: free * mib, freed: freed * mib, slack: slack)
        }
        // Still growing: past the slack only.
        #expect(should(60, previous: 55))
        #expect(!should(53, previous: 51))
        // Settled: any growth past a quarter of the slack.
        #expect(should(53, previous: 53))
        #expect(!should(50, previous: 50))
        // Grown, but the growth is live memory: nothing to give back.
        #expect(!should(60, previous: 55, free: 0))
        // Not grown (a trim in the burst set the baseline), but the burst's
        // memory was freed since: past the slack, given back.
        #expect(should(90, previous: 90, baseline: 90, free: 60, freed: 50))
        #expect(!should(90, previous: 90, baseline: 90, free: 60, freed: 3))
    }

    /// A burst of stream-sized pieces, freed: with MemoryTuning's settings
    /// they stay resident until a look gives them back.
    @Test(.disabled(if: Sanitizers.any, "a sanitizer's allocator replaces glibc's malloc: malloc_trim has nothing to give back"))
    func aFreedBurstIsGivenBackWithinAPeriod() async throws {
        MemoryTuning.apply()
        let loop = EventLoopGroup(threads: 1, name: "release-loop").loops[0]
        let release = FreeMemoryRelease.start(on: loop, period: .milliseconds(50), slack: 4 << 20)
        defer { release.stop() }
        // Allocated and freed on the loop's thread, so in the arena the trim
        // will find them in. Trims before the burst (the suite's other tests
        // move RSS too) are left out of the count.
        let piece = 256 << 10, pieces = 256
        let before = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            loop.execute {
                let released = release.releasedBytes
                let held = (0..<pieces).map { _ in
                    let p = UnsafeMutableRawPointer.allocate(byteCount: piece, alignment: 16)
                    p.initializeMemory(as: UInt8.self, repeating: 1, count: piece)
                    return p
                }
                for p in held { p.deallocate() }
                c.resume(returning: released)
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var released = 0
        while ContinuousClock.now < deadline {
            released = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                loop.execute { c.resume(returning: release.releasedBytes - before) }
            }
            if released >= 32 << 20 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        // 64 MiB were freed; at least half must leave the resident set.
        #expect(released >= 32 << 20, "gave back \(released >> 20) MiB")
    }
}
