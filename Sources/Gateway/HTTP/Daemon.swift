import CMicroHTTPD
import EventLoops
import Synchronization

/// One libmicrohttpd daemon, driven by one event loop: its epoll descriptor
/// sits in the loop's, and `MHD_run` is called when it is readable, when a
/// suspended connection was resumed, and at libmicrohttpd's own timeout.
final class Daemon: IOHandler, @unchecked Sendable {
    // @unchecked: `mhd` calls, `timer` and `runScheduled` happen on `loop`'s thread only.
    let loop: EventLoop
    unowned let server: HTTPServer
    private(set) var mhd: OpaquePointer?
    private var epollFD: Int32 = -1
    private var timer: LoopTimer?
    private var timerDue: ContinuousClock.Instant?
    private var runScheduled = false
    /// Exchanges whose connection is open, so that stopping can resume them first.
    private var exchanges: [ObjectIdentifier: Exchange] = [:]
    /// Connection caps and slow-client limits.
    private(set) lazy var watch = ConnectionWatch(daemon: self)

    init(loop: EventLoop, server: HTTPServer) {
        self.loop = loop
        self.server = server
    }

    /// Starts libmicrohttpd on `listenFD` (it owns the descriptor from now on).
    func start(listenFD: Int32, ipv6: Bool, limits: HTTPLimits, connectionLimit: Int) throws {
        let me = Unmanaged.passUnretained(self).toOpaque()
        let credentials = server.tls?.credentials
        let priorities = server.tls?.settings.priorities ?? TLSSettings.defaultPriorities
        let started = (credentials?.certificatePEM ?? []).withUnsafeBufferPointer { cert in
            (credentials?.keyPEM ?? []).withUnsafeBufferPointer { key in
                wrpc_mhd_start(listenFD, ipv6 ? 1 : 0, UInt32(connectionLimit), UInt32(limits.idleTimeoutSeconds),
                               limits.maxHeaderBytes, MHDCallbacks.access, me, MHDCallbacks.completed, me,
                               credentials == nil ? nil : cert.baseAddress, credentials == nil ? nil : key.baseAddress,
                               priorities, MHDCallbacks.connection, me, MHDCallbacks.uriLogger, me)
            }
        }
        guard let mhd = started else {
            throw HTTPServerError.cannotStart("libmicrohttpd refused to start on the listening socket")
        }
        self.mhd = mhd
        epollFD = wrpc_mhd_epoll_fd(mhd)
        do {
            try loop.register(epollFD, [.read], self)
        } catch {
            MHD_stop_daemon(mhd)
            self.mhd = nil
            throw HTTPServerError.cannotStart("cannot watch libmicrohttpd's epoll descriptor: \(error)")
        }
        loop.execute { self.run() }
    }

    func ready(_ events: IOEvents) { run() }

    /// Asks for a run on this loop's next pass (coalesced).
    func scheduleRun() {
        guard !runScheduled else { return }
        runScheduled = true
        loop.execute { [self] in
            runScheduled = false
            run()
        }
    }

    private func run() {
        guard let mhd else { return }
        // libmicrohttpd reads a connection once per run, at most what its
        // memory pool leaves for the read buffer (about 16 KiB with the
        // default 32 KiB). Running again while it has data pending lets a
        // streamed body gather in its queue, so the responder forwards it
        // in a few large writes instead of one per read; bounded in rounds
        // and time so the loop's other work still comes soon.
        let until = ContinuousClock.now + Self.passTime
        var rounds = 0
        var timeout: Int64
        repeat {
            MHD_run(mhd)
            timeout = wrpc_mhd_timeout_ms(mhd)
            rounds += 1
        } while timeout == 0 && rounds < Self.roundsPerPass && ContinuousClock.now < until
        watch.sweep(exchanges.values)
        armTimer(timeout)
    }

    static let roundsPerPass = 8
    static let passTime = Duration.microseconds(200)

    /// libmicrohttpd wants to run within `ms` (0: data is pending now; -1:
    /// no timeout). At most a second regardless, because a freed slot
    /// under the connection limit is reported by nothing else.
    private func armTimer(_ ms: Int64) {
        if ms == 0 {
            scheduleRun()
            return
        }
        let due = ContinuousClock.now + .milliseconds(ms < 0 ? 1000 : min(ms, 1000))
        // An earlier pending timer will do: it runs, and re-arms from there.
        if let timerDue, timerDue <= due, timer != nil { return }
        timer?.cancel()
        timerDue = due
        timer = loop.schedule(at: due) { [self] in
            timer = nil
            timerDue = nil
            run()
        }
    }

    // MARK: - Exchanges

    func opened(_ exchange: Exchange) {
        exchanges[ObjectIdentifier(exchange)] = exchange
    }

    func closed(_ exchange: Exchange) {
        exchanges[ObjectIdentifier(exchange)] = nil
    }

    /// Stops accepting; the listening socket is closed at once, so the
    /// kernel sends new connections to the daemons that still listen.
    func quiesce() {
        guard let mhd else { return }
        let fd = MHD_quiesce_daemon(mhd)
        if fd >= 0 { close(fd) }
    }

    /// Open exchanges (none: every request on this daemon has ended).
    var openExchanges: Int { exchanges.count }

    /// The grace period is over: every exchange still open gets its last
    /// answer (503, or its stream cut) and is resumed, and libmicrohttpd
    /// runs at once to take them out of its suspended list.
    func abandonAll() {
        guard let mhd else { return }
        for exchange in exchanges.values where !exchange.stopping {
            var answer = server.responder.reject(.shuttingDown, exchange.request)
            answer.headers.append(("Connection", "close"))
            exchange.abandon(answer)
        }
        MHD_run(mhd)
    }

    /// Stops the daemon. libmicrohttpd aborts the process when a connection
    /// is still suspended, and takes a resumed one off that list only when
    /// it runs: so every exchange is abandoned (which resumes it and keeps
    /// it from suspending again) and libmicrohttpd runs once before it stops.
    func stop() {
        guard let mhd else { return }
        abandonAll()
        loop.deregister(epollFD)
        timer?.cancel()
        timer = nil
        self.mhd = nil
        MHD_stop_daemon(mhd)
        exchanges = [:]
    }
}
