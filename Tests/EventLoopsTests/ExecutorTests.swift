import Testing
@testable import EventLoops
import Locking

/// Tasks that prefer a loop run on its thread, and what the loop resumes
/// runs there without a wake-up from another thread.
@Suite struct ExecutorTests {
    static let group = EventLoopGroup(threads: 2, name: "test-loop")

    @Test func tasksAndTheirChildrenRunOnTheLoop() async throws {
        let loop = Self.group.loops[0]
        let seen = try await Task(executorPreference: loop) { () -> [Bool] in
            var seen = [loop.inLoop]
            seen += await withTaskGroup(of: Bool.self) { g in
                for _ in 0..<4 { g.addTask { loop.inLoop } }
                return await g.reduce(into: []) { $0.append($1) }
            }
            async let x = loop.inLoop
            seen.append(await x)
            try await loop.sleep(until: .now + .milliseconds(1))
            seen.append(loop.inLoop)
            return seen
        }.value
        #expect(seen.allSatisfy { $0 }, "\(seen)")
        #expect(EventLoop.current == nil, "the test itself is not on a loop")
    }

    @Test func resumingFromTheLoopIsNoCrossThreadWakeUp() async throws {
        let loop = Self.group.loops[1]
        let wakes = try await Task(executorPreference: loop) { () -> Int in
            let before = loop.remoteWakes.load(ordering: .relaxed)
            let queue = ByteQueue(highWater: 4)
            try await withThrowingTaskGroup(of: Void.self) { g in
                g.addTask {
                    for i in 0..<1000 { try await queue.write([UInt8(i & 0xFF), 1, 2, 3, 4]) }
                    queue.finish()
                }
                g.addTask {
                    var total = 0
                    while let b = try await queue.next() { total += b.count }
                    #expect(total == 5000)
                }
                try await g.waitForAll()
            }
            for _ in 0..<100 {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in loop.execute { c.resume() } }
            }
            return loop.remoteWakes.load(ordering: .relaxed) - before
        }.value
        #expect(wakes == 0)
    }

    @Test func executeRunsInOrderOnTheLoop() async {
        let loop = Self.group.loops[0]
        let order = Locked<[Int]>([])
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            for i in 0..<100 {
                loop.execute {
                    precondition(loop.inLoop)
                    order.withLock { $0.append(i) }
                    if i == 99 { c.resume() }
                }
            }
        }
        #expect(order.withLock { $0 } == Array(0..<100))
    }

    @Test func nextPrefersTheCallersOwnLoop() async {
        let loop = Self.group.loops[1]
        let picked = await Task(executorPreference: loop) { Self.group.next() === loop }.value
        #expect(picked)
    }
}
