import BackendPool
import Logging
import Synchronization
import TestSupport
import WRPCTransport
import Locking

/// A resolver whose answers the test sets, counting its lookups.
final class StubResolver: HostResolver {
    private let answers: Locked<[String]>
    let lookups = Atomic<Int>(0)

    init(_ answers: [String]) {
        self.answers = Locked(answers)
    }

    func set(_ new: [String]) {
        answers.withLock { $0 = new }
    }

    func addresses(of host: String, port: Int) async throws -> [String] {
        lookups.add(1, ordering: .relaxed)
        let now = answers.withLock { $0 }
        if now.isEmpty { throw ConnectError.unavailable("\(host): no such name") }
        return now
    }
}

/// The system resolver, counted: to see a real name looked up again.
final class CountingResolver: HostResolver {
    let lookups = Atomic<Int>(0)

    func addresses(of host: String, port: Int) async throws -> [String] {
        lookups.add(1, ordering: .relaxed)
        return try await SystemResolver().addresses(of: host, port: port)
    }
}

/// `greeter.hello` through `pool`; the greeting, or the call's error.
func hello(_ pool: BackendPool, _ name: String = "pool", deadline: Duration = .seconds(30)) async throws -> String {
    let json = try await WRPCClient(transport: pool).invoke(instance: Replica.greeter, function: Replica.hello,
                                                             params: helloParams(name), deadline: .now + deadline)
    return String(decoding: json ?? [], as: UTF8.self)
}

/// Runs `total` calls, `concurrency` at a time; how each failed call failed.
func calls(_ pool: BackendPool, total: Int, concurrency: Int) async -> [String] {
    precondition(total % concurrency == 0, "\(total) calls do not split over \(concurrency) callers")
    return await withTaskGroup(of: [String].self) { group in
        let each = total / concurrency
        for _ in 0..<concurrency {
            group.addTask {
                var failed: [String] = []
                for _ in 0..<each {
                    do {
                        let answer = try await hello(pool)
                        if answer != "\"Hello, pool!\"" { failed.append("answered \(answer)") }
                    } catch {
                        failed.append("\(error)")
                    }
                }
                return failed
            }
        }
        return await group.reduce([], +)
    }
}

extension BackendPool {
    func state(of target: String) -> BackendState? { status.first { $0.target == target }?.state }
}

func settings(_ balance: Balance = .powerOfTwoChoices, ejectBase: Duration = .milliseconds(500),
              ejectMax: Duration = .seconds(30), dnsRefresh: Duration = .seconds(5)) -> PoolSettings {
    var s = PoolSettings()
    s.balance = balance
    s.ejectBase = ejectBase
    s.ejectMax = ejectMax
    s.dnsRefresh = dnsRefresh
    return s
}

/// A pool as the tests make them: logging nothing (ejections are expected here).
func makePool(urls: [String], settings: PoolSettings = PoolSettings(), resolver: any HostResolver = SystemResolver()) throws -> BackendPool {
    try BackendPool(urls: urls, settings: settings, resolver: resolver, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// One call's outcome as a caller reports it: a connection opened through
/// `pool` (the member picked as for any call), then `outcome` told. The
/// member's address.
@discardableResult
func report(_ outcome: CallOutcome, on pool: BackendPool) async throws -> String? {
    let call = PoolCall()
    let stream = try await PoolCall.$current.withValue(call) { try await pool.connect() }
    stream.close()
    call.finished(outcome)
    return call.target
}

/// Settings that judge a member from outcomes: hung after `failures` in a
/// row, once nothing completed for `hungAfter`.
func outlierSettings(failures: Int, hungAfter: Duration, maxEjectionPercent: Int = 50, panicThresholdPercent: Int = 50) -> PoolSettings {
    var s = settings(ejectBase: .seconds(60), ejectMax: .seconds(60))
    s.ejectAfterFailures = failures
    s.hungAfter = hungAfter
    s.maxEjectionPercent = maxEjectionPercent
    s.panicThresholdPercent = panicThresholdPercent
    return s
}

/// Two replicas on one port, 127.0.0.1 and 127.0.0.2, as two pods behind a
/// headless Service; released and stopped after `body`.
func withTwoHosts(_ body: (_ first: Replica, _ second: Replica) async throws -> Void) async throws {
    let first = try Replica(host: "127.0.0.1")
    let second = try Replica(host: "127.0.0.2", port: first.port)
    defer {
        first.release()
        second.release()
        first.stop()
        second.stop()
    }
    try await body(first, second)
}
