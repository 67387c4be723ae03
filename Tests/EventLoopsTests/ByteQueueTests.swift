import Synchronization
import Testing
@testable import EventLoops

@Suite struct ByteQueueTests {
    @Test func bytesArriveInOrderThenTheEnd() async throws {
        let q = ByteQueue(highWater: 16)
        try await q.write([1, 2])
        try await q.write([3])
        #expect(try await q.next() == [1, 2, 3])
        q.finish()
        #expect(try await q.next() == nil)
        #expect(try await q.next() == nil)
    }

    /// Small pieces are joined, but never past `maxJoin`: a queue holding
    /// megabytes hands them over in pieces, not in one copy of it all.
    @Test func joinsAreBounded() async throws {
        let q = ByteQueue(highWater: .max)
        let third = ByteQueue.maxJoin / 3 + 1
        for i in 0..<4 { try await q.write([UInt8](repeating: UInt8(i), count: third)) }
        let big = [UInt8](repeating: 9, count: ByteQueue.maxJoin + 5)
        try await q.write(big)
        try await q.write([10])
        q.finish()
        var pieces: [[UInt8]] = []
        while let piece = try await q.next() { pieces.append(piece) }
        #expect(pieces.map(\.count) == [2 * third, 2 * third, big.count, 1])
        #expect(pieces.joined().elementsEqual((0..<4).flatMap { [UInt8](repeating: UInt8($0), count: third) } + big + [10]))
    }

    @Test func aFailureComesAfterWhatIsHeld() async throws {
        struct Broken: Error {}
        let q = ByteQueue()
        try await q.write([7])
        q.fail(Broken())
        #expect(try await q.next() == [7])
        await #expect(throws: Broken.self) { try await q.next() }
    }

    @Test func aWriterWaitsAboveTheHighWaterUntilTheReaderCatchesUp() async throws {
        let q = ByteQueue(highWater: 8)
        let progress = Atomic<Int>(0)
        let writer = Task {
            for _ in 0..<4 {
                try await q.write([UInt8](repeating: 1, count: 6))
                progress.add(1, ordering: .relaxed)
            }
            q.finish()
        }
        // The second write puts 12 > 8 bytes in: it waits there.
        while progress.load(ordering: .relaxed) < 1 { await Task.yield() }
        try await EventLoop.sleep(for: .milliseconds(20))
        #expect(progress.load(ordering: .relaxed) == 1)
        #expect(q.buffered == 12)
        var total = 0
        while let b = try await q.next() { total += b.count }
        #expect(total == 24)
        #expect(q.peakBuffered <= 8 + 6)
        try await writer.value
    }

    @Test func offersAreRefusedWhenFullAndTheProducerIsToldWhenThereIsRoom() async throws {
        let q = ByteQueue(highWater: 4)
        let told = Atomic<Int>(0)
        let piece: [UInt8] = [1, 2, 3, 4]
        #expect(piece.withUnsafeBytes { q.offer($0) { told.add(1, ordering: .relaxed) } })
        #expect(!piece.withUnsafeBytes { q.offer($0) { told.add(1, ordering: .relaxed) } })
        #expect(told.load(ordering: .relaxed) == 0)
        #expect(try await q.next() == piece)
        #expect(told.load(ordering: .relaxed) == 1)
        #expect(piece.withUnsafeBytes { q.offer($0) { told.add(1, ordering: .relaxed) } })
    }

    @Test func aSyncReaderTakesPiecesAndIsToldWhenMoreArrives() async throws {
        let q = ByteQueue()
        let told = Atomic<Int>(0)
        var buffer = [UInt8](repeating: 0, count: 3)
        let first = buffer.withUnsafeMutableBytes { q.read(into: $0) { told.add(1, ordering: .relaxed) } }
        guard case .wouldBlock = first else { Issue.record("\(first)"); return }
        try await q.write([1, 2, 3, 4, 5])
        #expect(told.load(ordering: .relaxed) == 1)
        let second = buffer.withUnsafeMutableBytes { q.read(into: $0) {} }
        guard case .bytes(3) = second else { Issue.record("\(second)"); return }
        #expect(buffer == [1, 2, 3])
        q.finish()
        let third = buffer.withUnsafeMutableBytes { q.read(into: $0) {} }
        guard case .bytes(2) = third else { Issue.record("\(third)"); return }
        #expect(buffer.prefix(2) == [4, 5])
        let fourth = buffer.withUnsafeMutableBytes { q.read(into: $0) {} }
        guard case .end = fourth else { Issue.record("\(fourth)"); return }
    }

    @Test func cancellingTheConsumerFailsTheWaitingProducer() async throws {
        let q = ByteQueue(highWater: 1)
        let writer = Task { try await q.write([1, 2, 3]) }
        while q.buffered == 0 { await Task.yield() }
        struct Gone: Error {}
        q.cancel(Gone())
        await #expect(throws: Gone.self) { try await writer.value }
        await #expect(throws: Gone.self) { try await q.write([4]) }
        // Offers after that are taken and dropped, so a C producer never stalls.
        #expect([5].withUnsafeBytes { q.offer($0) {} })
        #expect(q.buffered == 0)
    }

    @Test func waitsEndWhenTheirTaskIsCancelled() async throws {
        let q = ByteQueue(highWater: 1)
        let reader = Task { try await q.next() }
        try await EventLoop.sleep(for: .milliseconds(5))
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }

        let full = ByteQueue(highWater: 1)
        let writer = Task { try await full.write([1, 2]) }
        try await EventLoop.sleep(for: .milliseconds(5))
        writer.cancel()
        await #expect(throws: CancellationError.self) { try await writer.value }
    }

    /// A producer and a consumer on different threads, random sizes: every
    /// byte arrives once, in order, and the bound holds.
    @Test func noByteIsLostOrReorderedAcrossThreads() async throws {
        let group = EventLoopGroup(threads: 2, name: "bq-loop")
        let q = ByteQueue(highWater: 1000)
        let total = 200_000
        let producer = Task(executorPreference: group.loops[0]) {
            var rng = SplitMix(seed: 1)
            var sent = 0
            while sent < total {
                let n = min(Int(rng.next() % 700) + 1, total - sent)
                let piece = (0..<n).map { UInt8(truncatingIfNeeded: sent + $0) }
                if rng.next() % 2 == 0 {
                    try await q.write(piece)
                } else {
                    while !(piece.withUnsafeBytes { q.offer($0) {} }) { await Task.yield() }
                }
                sent += n
            }
            q.finish()
        }
        let received = try await Task(executorPreference: group.loops[1]) { () -> Int in
            var got = 0
            var buffer = [UInt8](repeating: 0, count: 333)
            var useSync = false
            while true {
                useSync.toggle()
                if useSync {
                    switch buffer.withUnsafeMutableBytes({ q.read(into: $0) {} }) {
                    case .bytes(let n):
                        for i in 0..<n { precondition(buffer[i] == UInt8(truncatingIfNeeded: got + i)) }
                        got += n
                    case .wouldBlock: await Task.yield()
                    case .end: return got
                    case .failed(let e): throw e
                    }
                } else {
                    guard let b = try await q.next() else { return got }
                    for (i, v) in b.enumerated() { precondition(v == UInt8(truncatingIfNeeded: got + i)) }
                    got += b.count
                }
            }
        }.value
        try await producer.value
        #expect(received == total)
        #expect(q.peakBuffered <= 1000 + 700)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
