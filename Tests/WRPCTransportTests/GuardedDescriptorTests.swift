#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WRPCTransport

/// A descriptor closed while a call uses it stays open until that call
/// returns, so its number cannot go to another socket mid-call.
@Suite struct GuardedDescriptorTests {
    /// A connected pair: `guarded` holds one end, and the other end tells
    /// whether it is still open (a number may be reused by a test beside at
    /// once, so it cannot be asked by number).
    private struct Pair {
        let guarded: GuardedDescriptor
        let peer: Int32

        init() {
            var ends: [Int32] = [0, 0]
            // Close-on-exec: a process another test spawns must not keep an end open.
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0)
            guarded = GuardedDescriptor(ends[0])
            peer = ends[1]
        }

        /// Whether the guarded end is still open: the peer reads no end of stream.
        var isOpen: Bool { Self.isOpen(peer) }

        /// Whether the peer sees the end within 10 s. Not at once: a child
        /// that another test forks holds a copy of every descriptor until
        /// its exec closes them.
        var closes: Bool { Self.closes(peer) }

        static func closes(_ peer: Int32) -> Bool {
            for _ in 0..<1_000 where isOpen(peer) { usleep(10_000) }
            return !isOpen(peer)
        }

        static func isOpen(_ peer: Int32) -> Bool {
            var byte: UInt8 = 0
            return recv(peer, &byte, 1, Int32(MSG_DONTWAIT)) != 0
        }
    }

    @Test func closeWaitsForTheCallUsingIt() throws {
        let pair = Pair()
        defer { Glibc.close(pair.peer) }
        let guarded = pair.guarded
        var taken: [Int32] = []
        try guarded.use { fd in
            // Another thread closes the socket now: the watchers are told at
            // once, the number stays ours until this call is done.
            guarded.close { taken.append($0) }
            #expect(taken == [fd])
            #expect(guarded.isClosed)
            #expect(pair.isOpen)
        }
        #expect(pair.closes)
        #expect(throws: SocketError.self) { try guarded.use { _ in Issue.record("used after close") } }
        guarded.close { _ in Issue.record("closed twice") }
    }

    @Test func droppedUnclosedItClosesTheDescriptor() {
        var pair: Pair? = Pair()
        let peer = pair!.peer
        defer { Glibc.close(peer) }
        #expect(pair?.isOpen == true)
        pair = nil
        #expect(Pair.closes(peer))
    }

    @Test func closeWithoutUsersClosesAtOnce() {
        let pair = Pair()
        defer { Glibc.close(pair.peer) }
        #expect(pair.isOpen)
        pair.guarded.close()
        #expect(pair.closes)
    }

    /// Many threads using and one closing: the descriptor is closed exactly
    /// once, and never while a call holds it.
    @Test func concurrentUsersAndClose() async throws {
        for _ in 0..<200 {
            let pair = Pair()
            let guarded = pair.guarded
            let stillOpen = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var open = true
                        for _ in 0..<50 {
                            guard let seen = try? guarded.use({ _ in pair.isOpen }) else { break }
                            open = open && seen
                        }
                        return open
                    }
                }
                group.addTask { guarded.close(); return true }
                return await group.reduce(true) { $0 && $1 }
            }
            #expect(stillOpen)
            #expect(pair.closes)
            Glibc.close(pair.peer)
        }
    }
}
