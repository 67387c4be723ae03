import DequeModule
import Synchronization

/// Where an invocation's incoming bytes come from, by path.
protocol IncomingFrames: Sendable {
    /// The next bytes on `path`; nil once it is closed or the connection ended.
    func next(_ path: [UInt32]) async throws -> [UInt8]?
}

extension Demux: IncomingFrames {}

/// The incoming side of a call whose results hold no stream or future: one
/// consumer, reading the connection itself when it needs bytes. No reader
/// task, no hand-off between tasks: a small call's answer is read by the
/// task that waits for it. Frames on other paths (a peer has no reason to
/// send any) are kept up to a bound, then refused.
final class InlineFrames: IncomingFrames, @unchecked Sendable {
    // @unchecked: used by one task at a time (`busy` checks that); the
    // state below is touched only inside `next`.
    private let stream: any ByteStream
    private var frames = FrameReader()
    private var held: [[UInt32]: Deque<[UInt8]>] = [:]
    private var heldBytes = 0
    private var closed: Set<[UInt32]> = []
    private var ended = false
    private let busy = Atomic<Bool>(false)
    static let maxHeld = 8 << 20

    init(stream: any ByteStream) {
        self.stream = stream
    }

    func next(_ path: [UInt32]) async throws -> [UInt8]? {
        precondition(!busy.exchange(true, ordering: .acquiring), "InlineFrames has one consumer")
        defer { busy.store(false, ordering: .releasing) }
        while true {
            if let first = held[path]?.popFirst() {
                heldBytes -= first.count
                return first
            }
            if closed.contains(path) || ended { return nil }
            let bytes: [UInt8]
            do {
                try Task.checkCancellation()
                bytes = try await stream.read()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw CallError.protocolError("reading from the peer: \(error)")
            }
            if bytes.isEmpty {
                ended = true
                continue
            }
            let events: [FrameReader.Event]
            do {
                events = try frames.feed(bytes)
            } catch {
                throw CallError.protocolError("reading from the peer: \(error)")
            }
            for event in events {
                switch event {
                case .data(let p, let data):
                    guard !closed.contains(p) else { continue }
                    held[p, default: []].append(data)
                    heldBytes += data.count
                case .closed(let p):
                    closed.insert(p)
                }
            }
            if heldBytes > Self.maxHeld && held[path]?.isEmpty != false {
                throw CallError.protocolError("the peer sent more than \(Self.maxHeld) bytes on paths nobody reads")
            }
        }
    }
}
