import DequeModule
import Locking

/// Bytes crossing from one side to another (socket to task, task to HTTP
/// connection, curl to task): bounded, cancellable both ways, and usable
/// from async code or from C callbacks that must not block.
///
/// The producer writes (async: waits while more than `highWater` is held)
/// or offers (sync: refused while full, with a callback for when there is
/// room); it ends the bytes with `finish()` or `fail(_:)`. The consumer
/// takes with `next()` (async) or `read(into:)` (sync, with a callback for
/// when there is more), or gives up with `cancel(_:)`, after which writes
/// fail and offers are dropped.
public final class ByteQueue: Sendable {
    public let highWater: Int
    /// The producer may go on once the consumer brought the backlog down to this.
    public let lowWater: Int
    /// At most this much is joined into one piece by `next()`. A queue may
    /// hold far more (a demultiplexed path holds up to 8 MiB): joining all
    /// of it cost a copy of every byte and a buffer of that size per take,
    /// which is also above the allocator's mmap threshold (MemoryTuning).
    static let maxJoin = 1 << 20

    private struct State {
        var chunks = Deque<[UInt8]>()
        /// Bytes of `chunks.first` already read by `read(into:)`.
        var headOffset = 0
        var count = 0
        var finished = false
        var failure: (any Error)?
        var cancelled: (any Error)?
        var reader: UnsafeContinuation<[UInt8]?, any Error>?
        var writer: UnsafeContinuation<Void, any Error>?
        var onReadable: (@Sendable () -> Void)?
        /// `onReadable` is due once this much is held (a batching reader
        /// asked for more than one byte), or at the end.
        var readableAt = 1
        var onWritable: (@Sendable () -> Void)?
        var peak = 0

        /// The consumer's wake-up, if what is held now is what it waits for.
        mutating func takeReadable() -> (@Sendable () -> Void)? {
            guard count >= readableAt, let wake = onReadable else { return nil }
            onReadable = nil
            return wake
        }

        /// What is held, joined, up to `maxJoin` bytes (a first piece that is
        /// larger comes whole, uncopied); the rest stays for the next take.
        mutating func take() -> [UInt8] {
            if headOffset == 0, let first = chunks.first, chunks.count == 1 || first.count >= ByteQueue.maxJoin {
                chunks.removeFirst()
                count -= first.count
                return first
            }
            var size = 0
            var pieces = 0
            for c in chunks {
                let n = c.count - (pieces == 0 ? headOffset : 0)
                if pieces > 0 && size + n > ByteQueue.maxJoin { break }
                size += n
                pieces += 1
            }
            var out: [UInt8] = []
            out.reserveCapacity(size)
            for i in 0..<pieces {
                let c = chunks.removeFirst()
                // Appending whole arrays copies memory; `joined()` would go byte by byte.
                if i == 0 && headOffset > 0 { out += c[headOffset...] } else { out += c }
                headOffset = 0
            }
            count -= size
            return out
        }

        /// The producer's wake-ups once the backlog is down to `low`.
        mutating func spaceWaiters(low: Int) -> (UnsafeContinuation<Void, any Error>?, (@Sendable () -> Void)?) {
            guard count <= low else { return (nil, nil) }
            defer { writer = nil; onWritable = nil }
            return (writer, onWritable)
        }
    }

    private let state = Locked(State())

    public init(highWater: Int = 1 << 20) {
        self.highWater = highWater
        lowWater = highWater == .max ? .max : highWater / 2
    }

    // MARK: - Producer

    /// Appends `bytes`, then waits while more than `highWater` is held.
    /// Throws the consumer's reason once it cancelled, or when the task is.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        // Over the mark already (an offer filled it): wait before adding more.
        if state.withLock({ $0.count >= highWater && $0.cancelled == nil }) { try await waitForSpace() }
        if try push(bytes) { try await waitForSpace() }
    }

    /// Appends `bytes` without waiting, however much is held: for a
    /// producer that bounds what it holds itself.
    public func append(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        _ = try push(bytes)
    }

    /// Hands `bytes` to a waiting reader or holds them; true when more
    /// than `highWater` is now held.
    private func push(_ bytes: [UInt8]) throws -> Bool {
        let (reader, wake, over): (UnsafeContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?, Bool) = try state.withLock { s in
            if let e = s.cancelled { throw e }
            if s.finished || s.failure != nil { throw ByteQueueEnded() }
            if let r = s.reader {
                s.reader = nil
                return (r, nil, false)
            }
            s.chunks.append(bytes)
            s.count += bytes.count
            s.peak = max(s.peak, s.count)
            return (nil, s.takeReadable(), s.count > highWater)
        }
        if let reader {
            reader.resume(returning: bytes)
            return false
        }
        wake?()
        return over
    }

    private func waitForSpace() async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Void, any Error>) in
                let outcome: Result<Bool, any Error> = state.withLock { s in
                    if let e = s.cancelled { return .failure(e) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.count <= lowWater { return .success(true) }
                    s.writer = c
                    return .success(false)
                }
                switch outcome {
                case .failure(let e): c.resume(throwing: e)
                case .success(true): c.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            let w = state.withLock { s in
                defer { s.writer = nil }
                return s.writer
            }
            w?.resume(throwing: CancellationError())
        }
    }

    /// Takes a copy of `bytes` unless `highWater` is reached; when refused,
    /// `onWritable` is called once there is room (or the consumer left), and
    /// the producer offers the same bytes again. Bytes offered after the
    /// consumer cancelled are accepted and dropped.
    public func offer(_ bytes: UnsafeRawBufferPointer, onWritable: @escaping @Sendable () -> Void) -> Bool {
        guard bytes.count > 0 else { return true }
        let (accepted, reader, wake): (Bool, UnsafeContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            if s.cancelled != nil { return (true, nil, nil) }
            if let r = s.reader {
                s.reader = nil
                return (true, r, nil)
            }
            if s.count >= highWater {
                s.onWritable = onWritable
                return (false, nil, nil)
            }
            s.chunks.append(Array(bytes))
            s.count += bytes.count
            s.peak = max(s.peak, s.count)
            return (true, nil, s.takeReadable())
        }
        reader?.resume(returning: Array(bytes))
        wake?()
        return accepted
    }

    /// A clean end: the consumer gets what is held, then the end.
    public func finish() { end(nil) }

    /// A broken end: the consumer gets what is held, then `error`.
    public func fail(_ error: any Error) { end(error) }

    private func end(_ error: (any Error)?) {
        let (reader, wake): (UnsafeContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            guard !s.finished && s.failure == nil else { return (nil, nil) }
            if let error { s.failure = error } else { s.finished = true }
            defer { s.reader = nil; s.onReadable = nil }
            return (s.reader, s.onReadable)
        }
        if let reader {
            if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
        }
        wake?()
    }

    // MARK: - Consumer

    /// What is held now, joined (up to `maxJoin` bytes); waits when nothing is. Nil at a clean
    /// end; throws the producer's failure, or when the task is cancelled.
    public func next() async throws -> [UInt8]? {
        enum Step { case bytes([UInt8]?), failure(any Error), wait }
        let (step, space, wake): (Step, UnsafeContinuation<Void, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            if let e = s.cancelled { return (.failure(e), nil, nil) }
            if s.count > 0 {
                let bytes = s.take()
                let (w, cb) = s.spaceWaiters(low: lowWater)
                return (.bytes(bytes), w, cb)
            }
            if let f = s.failure { return (.failure(f), nil, nil) }
            if s.finished { return (.bytes(nil), nil, nil) }
            return (.wait, nil, nil)
        }
        space?.resume()
        wake?()
        switch step {
        case .bytes(let b): return b
        case .failure(let e): throw e
        case .wait: return try await waitForBytes()
        }
    }

    private func waitForBytes() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<[UInt8]?, any Error>) in
                let ready: Result<[UInt8]?, any Error>? = state.withLock { s in
                    if let e = s.cancelled { return .failure(e) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.count > 0 { return .success(s.take()) }
                    if let f = s.failure { return .failure(f) }
                    if s.finished { return .success(nil) }
                    s.reader = c
                    return nil
                }
                guard let ready else { return }
                // Taking bytes may have made room for a waiting producer.
                let (space, wake) = state.withLock { $0.spaceWaiters(low: lowWater) }
                space?.resume()
                wake?()
                c.resume(with: ready)
            }
        } onCancel: {
            let r = state.withLock { s in
                defer { s.reader = nil }
                return s.reader
            }
            r?.resume(throwing: CancellationError())
        }
    }

    public enum ReadOutcome: Sendable {
        /// This many bytes were copied.
        case bytes(Int)
        /// Nothing yet: `onReadable` will be called when there is.
        case wouldBlock
        case end
        case failed(any Error)
    }

    /// Copies up to `buffer.count` held bytes, for a consumer that cannot wait.
    public func read(into buffer: UnsafeMutableRawBufferPointer, onReadable: @escaping @Sendable () -> Void) -> ReadOutcome {
        read(into: buffer, minimum: 1, onReadable: onReadable).outcome
    }

    /// Like `read(into:onReadable:)`, for a consumer that would rather send
    /// fewer, larger pieces: while fewer than `minimum` bytes are held and the
    /// producer has not ended, nothing is copied (`.wouldBlock`), and
    /// `onReadable` comes once `minimum` is reached or at the end (or at the
    /// first byte when none was held). `held`
    /// says how much waits, so the consumer can bound how long small bytes
    /// wait (and take them with `minimum` 1 then).
    public func read(into buffer: UnsafeMutableRawBufferPointer, minimum: Int,
                     onReadable: @escaping @Sendable () -> Void) -> (outcome: ReadOutcome, held: Int) {
        let (outcome, held, space, wake): (ReadOutcome, Int, UnsafeContinuation<Void, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            if let e = s.cancelled { return (.failed(e), 0, nil, nil) }
            let ended = s.finished || s.failure != nil
            guard s.count > 0, s.count >= minimum || ended else {
                if let f = s.failure { return (.failed(f), 0, nil, nil) }
                if s.finished { return (.end, 0, nil, nil) }
                s.onReadable = onReadable
                // With nothing held, the first byte calls back too: the
                // consumer then starts timing how long small bytes wait (a
                // row that came alone would otherwise wait for `minimum`).
                s.readableAt = s.count == 0 ? 1 : max(1, minimum)
                return (.wouldBlock, s.count, nil, nil)
            }
            var copied = 0
            while copied < buffer.count, let first = s.chunks.first {
                let n = min(first.count - s.headOffset, buffer.count - copied)
                first.withUnsafeBytes { src in
                    (buffer.baseAddress! + copied).copyMemory(from: src.baseAddress! + s.headOffset, byteCount: n)
                }
                copied += n
                s.headOffset += n
                if s.headOffset == first.count {
                    s.chunks.removeFirst()
                    s.headOffset = 0
                }
            }
            s.count -= copied
            let (w, cb) = s.spaceWaiters(low: lowWater)
            return (.bytes(copied), s.count, w, cb)
        }
        space?.resume()
        wake?()
        return (outcome, held)
    }

    /// The consumer gives up: what is held is dropped, a waiting producer
    /// fails with `reason`, and so does every later write.
    public func cancel(_ reason: any Error = CancellationError()) {
        let (reader, writer, wake): (UnsafeContinuation<[UInt8]?, any Error>?, UnsafeContinuation<Void, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            guard s.cancelled == nil else { return (nil, nil, nil) }
            s.cancelled = reason
            s.chunks.removeAll()
            s.count = 0
            s.headOffset = 0
            defer { s.reader = nil; s.writer = nil; s.onWritable = nil }
            return (s.reader, s.writer, s.onWritable)
        }
        reader?.resume(throwing: reason)
        writer?.resume(throwing: reason)
        wake?()
    }

    // MARK: - Inspection

    public var isCancelled: Bool { state.withLock { $0.cancelled != nil } }
    /// The end has been written (cleanly or not).
    public var isEnded: Bool { state.withLock { $0.finished || $0.failure != nil } }
    public var buffered: Int { state.withLock { $0.count } }
    /// The most bytes ever held at once (for tests of the bound).
    public var peakBuffered: Int { state.withLock { $0.peak } }
}

/// A write after the producer ended the bytes (a bug in the producer).
public struct ByteQueueEnded: Error, CustomStringConvertible {
    public var description: String { "write after the end of the bytes" }
}
