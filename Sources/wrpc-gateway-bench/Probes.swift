import Foundation

/// `greeter.hello` over one keep-alive HTTP/1.1 connection, one call at a
/// time, until `done()`: the small call whose latency fairness is about.
/// Blocking: run it with `onOwnThread`.
func probeHello(port: Int, cancel: CancelFlag, until done: () -> Bool) throws -> LoadResult {
    let http = try HTTPConnection(port: port)
    func call() throws {
        let reply = try http.request("POST", DemoAPI.hello, headers: ["Content-Type: application/json"], body: DemoAPI.helloBody)
        guard reply.status == 200 else { throw BenchError("greeter.hello answered \(reply.status): \(reply.text.prefix(200))") }
    }
    // Warm up the connection and both servers' allocations.
    for _ in 0..<50 { try call() }
    var samples: [Double] = []
    let start = ContinuousClock.now
    while !done(), !cancel.isCancelled {
        let t0 = ContinuousClock.now
        try call()
        samples.append((ContinuousClock.now - t0).microseconds)
    }
    return LoadResult(samples: samples, seconds: (ContinuousClock.now - start).seconds)
}

/// Health checks: latencies of those answered 200, and how many were not.
struct HealthPolls {
    let answered: LoadResult
    let failed: Int
    let firstFailure: String?
}

/// GET /healthz every `interval` until `done()`, each on a new connection
/// as a health checker makes them, so accepting is part of the figure. A
/// check that overruns the interval delays the next instead of bunching
/// them up. Blocking: run it with `onOwnThread`.
func pollHealth(port: Int, every interval: Duration = .milliseconds(50), cancel: CancelFlag, until done: () -> Bool) -> HealthPolls {
    var samples: [Double] = []
    var failed = 0
    var firstFailure: String?
    let start = ContinuousClock.now
    var next = start
    while !done(), !cancel.isCancelled {
        let t0 = ContinuousClock.now
        do {
            let reply = try HTTPConnection(port: port).request("GET", "/healthz", headers: ["Connection: close"])
            guard reply.status == 200 else { throw BenchError("/healthz answered \(reply.status)") }
            samples.append((ContinuousClock.now - t0).microseconds)
        } catch {
            failed += 1
            firstFailure = firstFailure ?? "\(error)"
        }
        next = max(next + interval, ContinuousClock.now)
        Thread.sleep(forTimeInterval: (next - ContinuousClock.now).seconds)
    }
    return HealthPolls(answered: LoadResult(samples: samples, seconds: (ContinuousClock.now - start).seconds),
                       failed: failed, firstFailure: firstFailure)
}
