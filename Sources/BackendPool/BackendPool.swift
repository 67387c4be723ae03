import CoreMetrics
import Logging
import Synchronization
import WRPCTransport
import Locking

/// Several backends behind one `ClientTransport`: each `connect()` picks a
/// member (power of two choices on calls in flight, or round-robin), and a
/// member whose connection fails is ejected and the connection tried on
/// another — only the connection: nothing has been sent on it yet, so the
/// call cannot have run twice. Once `connect()` returns, the call is the
/// caller's, and a failure after that is never retried here.
///
/// Health is decided here, from what the pool sees (a connection refused or
/// not opened in time ejects at once) and from the outcome each caller
/// reports for its call (`PoolCall.finished`): only a member that fails
/// call after call while nothing it was asked completes is judged hung, at
/// most `maxEjectionPercent` of the members are out for that at once, and
/// below `panicThresholdPercent` healthy members those are called anyway.
///
/// Made once per distinct list of URLs at start-up and kept: members,
/// ejections and DNS answers live here, not in a per-call lookup. Ejected
/// members are probed in the background and readmitted when they answer;
/// hostnames are looked up again every `dnsRefresh`, and every address is a
/// member (a Kubernetes headless Service answers with one per pod).
public final class BackendPool: ClientTransport {
    /// The configured URLs, comma-separated.
    public let target: String
    public let urls: [String]
    public let settings: PoolSettings
    private let seeds: [Seed]
    private let resolver: any HostResolver
    private let factory: any MetricsFactory
    private let logger: Logger
    let members = Locked<[Backend]>([])
    private let nextTurn = Atomic<Int>(0)
    /// Open once every hostname has had its first answer (or failed to).
    let resolved: Latch
    private let refresher = Locked<Task<Void, Never>?>(nil)
    private let stopped = Atomic<Bool>(false)
    /// Whether the last pick found the pool in panic (logged when it changes).
    private let panicking = Atomic<Bool>(false)

    public init(urls: [String], settings: PoolSettings = PoolSettings(), resolver: any HostResolver = SystemResolver(),
                metrics factory: any MetricsFactory = NOOPMetricsHandler.instance,
                logger: Logger = Logger(label: "wrpc-gateway.pool")) throws {
        guard !urls.isEmpty else { throw TransportURLError.invalid("a backend pool needs at least one URL") }
        self.urls = urls
        target = urls.joined(separator: ",")
        self.settings = settings
        self.resolver = resolver
        self.factory = factory
        self.logger = logger
        seeds = try urls.map(Seed.init)
        var fixed: [Backend] = []
        for seed in seeds {
            if case .fixed(let transport) = seed.kind, !fixed.contains(where: { $0.target == transport.target }) {
                fixed.append(Backend(url: seed.url, transport: transport, factory: factory))
            }
        }
        members.withLock { $0 = fixed }
        let lookups = seeds.contains { if case .dns = $0.kind { true } else { false } }
        resolved = Latch(open: !lookups)
        if lookups {
            // Not on a loop: the lookups themselves go to the global pool.
            refresher.withLock { $0 = Task { [weak self] in await self?.refreshForever() } }
        }
    }

    /// Stops DNS refreshes and probes.
    public func shutdown() {
        stopped.store(true, ordering: .relaxed)
        refresher.withLock { $0 }?.cancel()
        for member in members.withLock({ $0 }) { member.stop() }
    }

    // MARK: - Calls

    public func connect() async throws -> any ByteStream {
        if !resolved.isOpen { try await resolved.wait() }
        var tried: [Backend] = []
        var failures: [String] = []
        while let member = pick(excluding: tried) {
            do {
                return try await dial(member)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failures.append("\(error)")
                tried.append(member)
            }
        }
        throw ConnectError.unavailable(unavailable(after: failures))
    }

    /// A connection to `member`, counted as its call; a member that fails
    /// to open one is ejected, and the error thrown.
    func dial(_ member: Backend) async throws -> any ByteStream {
        let lease = Lease(member, pool: self)
        do {
            let stream = try await member.transport.connect(deadline: .now + settings.connectTimeout)
            PoolCall.current?.served(by: lease)
            return PooledStream(inner: stream, lease: lease)
        } catch {
            lease.end()
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            member.metrics.error("connect")
            eject(member, reason: "\(error)", cause: .connect)
            throw error
        }
    }

    /// A member for the next call, among the ones that take calls and were
    /// not yet tried.
    private func pick(excluding tried: [Backend]) -> Backend? {
        let routable = routable(members.withLock { $0 })
        let candidates = tried.isEmpty ? routable : routable.filter { m in !tried.contains { $0 === m } }
        let member: Backend
        switch candidates.count {
        case 0: return nil
        case 1: member = candidates[0]
        case let n:
            switch settings.balance {
            case .roundRobin:
                member = candidates[(nextTurn.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max) % n]
            case .powerOfTwoChoices:
                let i = Int.random(in: 0..<n)
                var j = Int.random(in: 0..<(n - 1))
                if j >= i { j += 1 }
                let (a, b) = (candidates[i], candidates[j])
                member = b.inFlight.load(ordering: .relaxed) < a.inFlight.load(ordering: .relaxed) ? b : a
            }
        }
        if !member.isAvailable { member.metrics.panicCalls.increment() }
        return member
    }

    /// The members that take calls: the healthy ones, and in panic (fewer
    /// healthy than `panicThresholdPercent` of those not draining) also the
    /// ones out for failed calls. A judgement from outcomes that leaves too
    /// few members is more likely wrong (every member slow under one load)
    /// than right, and a call on a slow member beats a 503; a member that
    /// refuses connections is never called.
    func routable(_ all: [Backend]) -> [Backend] {
        let healthy = all.filter(\.isAvailable)
        let live = all.count { !$0.isDraining }
        let panic = healthy.count * 100 < settings.panicThresholdPercent * live && all.contains(where: \.isOutForFailures)
        if panicking.exchange(panic, ordering: .relaxed) != panic {
            if panic {
                logger.warning("backend pool in panic: calling members out for failed calls",
                               metadata: ["pool": .string(target), "healthy": .string("\(healthy.count) of \(live)")])
            } else {
                logger.notice("backend pool out of panic", metadata: ["pool": .string(target)])
            }
        }
        return panic ? all.filter { $0.isAvailable || $0.isOutForFailures } : healthy
    }

    /// Why no member could take the call.
    private func unavailable(after failures: [String]) -> String {
        let all = members.withLock { $0 }.map(\.status)
        if all.isEmpty { return "no backend for \(target): the name resolved to no address yet" }
        var parts = failures
        let ejected = all.filter { member in member.state == .ejected && !failures.contains { $0.contains(member.target) } }
        if !ejected.isEmpty {
            parts.append("ejected: " + ejected.map { "\($0.target) (\($0.reason ?? "failed"))" }.joined(separator: "; "))
        }
        let prefix = failures.isEmpty ? "every backend of \(target) is ejected" : "no backend of \(target) accepted the connection"
        return prefix + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; "))
    }

    // MARK: - Health

    /// How a call on a member ended, as its caller reports it: a completed
    /// call clears the member's failures (and readmits it if it was out for
    /// them); a failure the backend caused counts towards judging it hung;
    /// a deadline the caller chose never counts, nor does one that passed
    /// after the member had begun to answer (it is alive: a stream stalled).
    func record(_ outcome: CallOutcome, on lease: Lease) {
        let member = lease.backend
        let what: String
        switch outcome {
        case .completed:
            if member.completed() {
                logger.notice("backend readmitted", metadata: ["target": .string(member.target), "reason": .string("a call on it completed")])
            }
            return
        case .deadlineExceeded(chosenByCaller: true):
            return
        case .deadlineExceeded(chosenByCaller: false):
            guard !lease.hasAnswered else { return }
            what = "no answer before the gateway's deadline"
        case .protocolError:
            what = "the connection closed or the answer did not decode"
        }
        guard let reason = member.failed(sent: lease.sent, what: what, settings: settings) else { return }
        eject(member, reason: reason, cause: .failures)
    }

    /// Leaves `member` out and probes it in the background until it answers,
    /// waiting longer after each failed probe. For failed calls only while
    /// that leaves at most `maxEjectionPercent` of the members out for them
    /// (one may always be): call outcomes alone take at most that share.
    func eject(_ member: Backend, reason: String, cause: EjectionCause) {
        guard !stopped.load(ordering: .relaxed) else { return }
        // nil: held back by the share; .some(nil): it was not healthy.
        let ejected = members.withLock { all -> Duration?? in
            if cause == .failures {
                let live = all.count { !$0.isDraining }
                let out = all.count(where: \.isOutForFailures)
                guard out == 0 || (out + 1) * 100 <= settings.maxEjectionPercent * live else { return nil }
            }
            return member.eject(reason: reason, cause: cause, settings: settings)
        }
        guard let ejected else {
            member.metrics.ejectionsWithheld.increment()
            return
        }
        guard let backoff = ejected else { return }
        logger.warning("backend ejected", metadata: ["target": .string(member.target), "reason": .string(reason),
                                                     "retry_in": .string("\(backoff)")])
        let probe = Task { [weak self, settings] in
            var delay = backoff
            while true {
                do { try await Task.sleep(for: delay) } catch { return }
                guard let self, !self.stopped.load(ordering: .relaxed), !member.isDraining else { return }
                if let failure = await member.transport.probe(timeout: settings.connectTimeout) {
                    delay = member.stillFailing(reason: failure, settings: settings)
                } else {
                    if member.readmit() { self.logger.notice("backend readmitted", metadata: ["target": .string(member.target)]) }
                    return
                }
            }
        }
        member.keepProbe(probe)
    }

    /// Probes every healthy member (a readiness check) and ejects those that
    /// do not accept a connection; ejected ones are left to their probes.
    public func check() async {
        let healthy = members.withLock { $0 }.filter(\.isAvailable)
        await withTaskGroup(of: Void.self) { group in
            for member in healthy {
                group.addTask { [settings] in
                    if let failure = await member.transport.probe(timeout: settings.connectTimeout) {
                        self.eject(member, reason: failure, cause: .connect)
                    }
                }
            }
        }
    }

    /// Every member now, draining ones included.
    public var status: [BackendStatus] { members.withLock { $0 }.map(\.status) }

    /// Whether some member takes calls (in panic, one out for failed calls
    /// does).
    public var isHealthy: Bool { !routable(members.withLock { $0 }).isEmpty }

    // MARK: - DNS

    private func refreshForever() async {
        while !stopped.load(ordering: .relaxed) && !Task.isCancelled {
            await refresh()
            resolved.open()
            do { try await Task.sleep(for: settings.dnsRefresh) } catch { return }
        }
    }

    /// Looks every hostname up once and updates the members: new addresses
    /// join, vanished ones drain. A failed lookup changes nothing.
    public func refresh() async {
        for seed in seeds {
            guard case .dns(let host, let port) = seed.kind else { continue }
            do {
                let addresses = try await resolver.addresses(of: host, port: port)
                update(seed, with: addresses.map { TCPTransport(host: $0, port: port) })
            } catch {
                logger.warning("backend lookup failed; keeping the members", metadata: ["url": .string(seed.url), "error": .string("\(error)")])
            }
        }
    }

    private func update(_ seed: Seed, with transports: [TCPTransport]) {
        let wanted = Set(transports.map(\.target))
        let (joined, left) = members.withLock { all -> ([String], [String]) in
            var joined: [String] = []
            var left: [String] = []
            for member in all where member.url == seed.url {
                if wanted.contains(member.target) {
                    member.undrain()
                } else if !member.isDraining {
                    member.drain()
                    left.append(member.target)
                }
            }
            for transport in transports where !all.contains(where: { $0.target == transport.target }) {
                all.append(Backend(url: seed.url, transport: transport, factory: factory))
                joined.append(transport.target)
            }
            all.removeAll { $0.isDraining && $0.inFlight.load(ordering: .relaxed) == 0 }
            return (joined, left)
        }
        for target in joined { logger.info("backend joined", metadata: ["target": .string(target), "url": .string(seed.url)]) }
        for target in left { logger.info("backend draining", metadata: ["target": .string(target), "url": .string(seed.url)]) }
    }

    /// A draining member's last call ended: it leaves the pool.
    func forgetIfDrained(_ member: Backend) {
        members.withLock { all in
            if member.isDraining && member.inFlight.load(ordering: .relaxed) == 0 { all.removeAll { $0 === member } }
        }
    }
}
