#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import DequeModule
import Synchronization
import Locking

/// One thread that owns an epoll set, a timer heap and a queue of work, and
/// runs Swift tasks as their executor. A task that prefers this loop (see
/// `EventLoopGroup`) runs every step on this thread, and so does whatever
/// the loop's descriptors and timers resume: waking it from its own thread
/// is appending to a queue, never a system call or a context switch.
public final class EventLoop: TaskExecutor, SerialExecutor, @unchecked Sendable {
    // @unchecked: `local`, `timers` and `thread` are used only on the loop's
    // own thread; `remote` and `handlers` are guarded by their mutexes.

    enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    private struct Remote {
        var work = Deque<Work>()
        /// The loop is in (or about to enter) a blocking epoll_wait.
        var sleeping = false
    }

    public let index: Int
    let name: String
    let epollFD: Int32
    private let wakeFD: Int32
    private var local = Deque<Work>()
    private let remote = Locked(Remote())
    private let handlers = Locked<[Int32: any IOHandler]>([:])
    private var timers = TimerHeap()
    private let timerSequence = Atomic<UInt64>(0)
    private let epoch = ContinuousClock.now
    private let stopRequested = Atomic<Bool>(false)
    /// Wake-ups from other threads, for the benchmarks' accounting.
    let remoteWakes = Atomic<Int>(0)

    init(index: Int, name: String, spin: Duration) {
        self.index = index
        self.name = name
        spinNanos = spin.nanoseconds
        signal(SIGPIPE, SIG_IGN)
        epollFD = wrpc_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        wakeFD = wrpc_eventfd()
        precondition(wakeFD >= 0, "eventfd failed: errno \(errno)")
        precondition(wrpc_epoll_set(epollFD, wakeFD, 0, WRPC_WANT_READ) == 0)
        let box = Unmanaged.passRetained(self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_attr_destroy(&attributes)
        pthread_detach(thread)
    }

    // MARK: - Where we are

    /// The loop whose thread is running the caller, if any.
    public static var current: EventLoop? {
        guard let raw = pthread_getspecific(currentKey) else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Whether the caller runs on this loop's thread.
    public var inLoop: Bool {
        pthread_getspecific(currentKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Monotonic nanoseconds on this loop's clock.
    var now: Int64 { nanos(ContinuousClock.now) }

    func nanos(_ instant: ContinuousClock.Instant) -> Int64 {
        (instant - epoch).nanoseconds
    }

    // MARK: - Executor

    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    private lazy var taskExecutor = asUnownedTaskExecutor()
    /// How long the loop polls before it blocks (see `EventLoopGroup.init`).
    private let spinNanos: Int64

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(inLoop, "not on event loop \(index)")
    }

    /// Runs `body` on the loop's thread, after work already queued.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        submit(.closure(body))
    }

    private func submit(_ work: Work) {
        if inLoop {
            local.append(work)
            return
        }
        let wake = remote.withLock { r -> Bool in
            r.work.append(work)
            guard r.sleeping else { return false }
            r.sleeping = false
            return true
        }
        if wake {
            remoteWakes.add(1, ordering: .relaxed)
            wrpc_eventfd_signal(wakeFD)
        }
    }

    // MARK: - Descriptors

    /// Watches `fd` for `interest`; `handler` is called on this loop's thread.
    public func register(_ fd: Int32, _ interest: Interest, _ handler: any IOHandler) throws(LoopError) {
        handlers.withLock { $0[fd] = handler }
        if wrpc_epoll_set(epollFD, fd, 0, interest.rawValue) != 0 {
            let code = errno
            handlers.withLock { _ = $0.removeValue(forKey: fd) }
            throw .system("epoll_ctl(ADD)", code)
        }
    }

    /// Changes what `fd` is watched for (re-arms a one-shot registration).
    public func modify(_ fd: Int32, _ interest: Interest) {
        _ = wrpc_epoll_set(epollFD, fd, 1, interest.rawValue)
    }

    /// Stops watching `fd`; call it before closing the descriptor.
    public func deregister(_ fd: Int32) {
        let removed = handlers.withLock { $0.removeValue(forKey: fd) }
        if removed != nil { _ = wrpc_epoll_remove(epollFD, fd) }
    }

    /// Forgets `fd` just before the caller closes it: closing removes it
    /// from the epoll set (it is not shared), which saves a system call.
    public func forget(_ fd: Int32) {
        handlers.withLock { _ = $0.removeValue(forKey: fd) }
    }

    // MARK: - Timers

    /// Calls `action` on this loop at `deadline` unless cancelled first.
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> LoopTimer {
        let timer = LoopTimer(loop: self, due: nanos(deadline),
                              sequence: timerSequence.add(1, ordering: .relaxed).newValue, action: action)
        if inLoop {
            timers.insert(timer)
        } else {
            execute { [self] in if !timer.isCancelled { timers.insert(timer) } }
        }
        return timer
    }

    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> LoopTimer {
        schedule(at: .now + delay, action)
    }

    /// Timers waiting on this loop (on its thread only; for tests).
    var pendingTimers: Int { timers.count }

    func remove(_ timer: LoopTimer) {
        if inLoop {
            timers.remove(timer)
            timer.action = nil
        } else {
            execute { [self] in
                timers.remove(timer)
                timer.action = nil
            }
        }
    }

    /// Timers due by `now`, fired in order; returns the wait in ms until the next (-1: none).
    private func fireTimers() -> Int32 {
        let now = self.now
        while let first = timers.first {
            if first.due > now {
                let ms = (first.due - now + 999_999) / 1_000_000
                return Int32(clamping: ms)
            }
            _ = timers.popFirst()
            let action = first.action
            first.action = nil
            if !first.isCancelled { action?() }
        }
        return -1
    }

    // MARK: - The loop

    /// Ends the loop after the work queued now; for tests that make their own loops.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        execute {}
    }

    private func run() {
        pthread_setspecific(currentKey, Unmanaged.passUnretained(self).toOpaque())
        wrpc_name_thread(String(name.prefix(15)))
        let capacity = 256
        let fds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let flags = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            fds.deallocate()
            flags.deallocate()
        }
        while !stopRequested.load(ordering: .acquiring) {
            runQueued()
            var timeout = fireTimers()
            if !local.isEmpty {
                timeout = 0
            } else if timeout != 0 {
                if spinNanos > 0 {
                    // A reply due within microseconds costs less to poll for
                    // than to sleep and be woken for (on a virtual machine a
                    // wake-up is dear): poll a little before blocking.
                    let until = now + spinNanos
                    var got: Int32 = 0
                    while now < until {
                        got = wrpc_epoll_wait(epollFD, fds, flags, Int32(capacity), 0)
                        if got != 0 || remote.withLock({ !$0.work.isEmpty }) { break }
                    }
                    if got > 0 {
                        dispatch(fds, flags, Int(got))
                        continue
                    }
                    if remote.withLock({ !$0.work.isEmpty }) { continue }
                }
                // About to block: from now on, work from elsewhere must wake us.
                let idle = remote.withLock { r -> Bool in
                    guard r.work.isEmpty else { return false }
                    r.sleeping = true
                    return true
                }
                if !idle { timeout = 0 }
            }
            let n = wrpc_epoll_wait(epollFD, fds, flags, Int32(capacity), timeout)
            if timeout != 0 { remote.withLock { $0.sleeping = false } }
            if n > 0 { dispatch(fds, flags, Int(n)) }
        }
    }

    /// Runs queued work until there is none, or until this pass has taken
    /// `passBudget`: then the descriptors get their turn, so a task that
    /// keeps yielding cannot keep I/O waiting. (Polling after every job would
    /// cost a system call per task hop.)
    private func runQueued() {
        pullRemote()
        guard !local.isEmpty else { return }
        let started = now
        var ran = 0
        while let work = local.popFirst() {
            switch work {
            case .job(let job):
                // Run as the task executor, not "isolated to" a serial one:
                // the runtime would then see nonisolated code wanting to
                // leave that serial executor, and re-enqueue every resumed
                // task once more before running it.
                job.runSynchronously(on: taskExecutor)
            case .closure(let body):
                body()
            }
            ran += 1
            if ran % 32 == 0 {
                if now - started > Self.passBudget { return }
                pullRemote()
            }
        }
    }

    /// How long a pass may run jobs before the loop polls its descriptors.
    static let passBudget: Int64 = 500_000

    private func pullRemote() {
        let incoming = remote.withLock { r -> Deque<Work> in
            guard !r.work.isEmpty else { return Deque() }
            var taken = Deque<Work>()
            swap(&taken, &r.work)
            return taken
        }
        if !incoming.isEmpty { local.append(contentsOf: incoming) }
    }

    private func dispatch(_ fds: UnsafeMutablePointer<Int32>, _ flags: UnsafeMutablePointer<UInt32>, _ n: Int) {
        for i in 0..<n {
            let fd = fds[i]
            if fd == wakeFD {
                wrpc_eventfd_drain(wakeFD)
                continue
            }
            let handler = handlers.withLock { $0[fd] }
            handler?.ready(IOEvents(rawValue: flags[i]))
        }
    }
}

private let currentKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0)
    return key
}()

public enum LoopError: Error, CustomStringConvertible {
    case system(String, Int32)

    public var description: String {
        switch self {
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
