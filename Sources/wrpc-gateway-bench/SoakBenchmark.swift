import Foundation

/// `soak`: the gateway and a pool of three demo backends as processes; 64
/// keep-alive connections call for `SOAK_SECONDS` (600) with a mix of small
/// calls, streamed results and `stream<u8>` transfers (`SoakCall`) while a
/// fault is injected every half interval (`SoakFault`, in turn). Every
/// `SOAK_INTERVAL` seconds (60) a row: the mean, lowest and highest of the
/// gateway's RSS and open descriptors (read every second), calls, `hello`
/// latency, errors inside and outside the fault windows. Ends with whether
/// the rows' mean readings stayed within ±10% of the first row's: growth
/// under faults is what the soak rules out (`SoakRow` says why the mean).
func soakBenchmark(shared: String) async throws {
    guard ServerProcesses.binary != nil else {
        print("## Soak: skipped (\(ServerProcesses.skipReason))\n")
        return
    }
    let environment = ProcessInfo.processInfo.environment
    let seconds = max(1, environment["SOAK_SECONDS"].flatMap { Int($0) } ?? 600)
    let interval = max(1, environment["SOAK_INTERVAL"].flatMap { Int($0) } ?? 60)
    var backends: [ServerProcess] = []
    for _ in 0..<3 { backends.append(try await ServerProcesses.demoBackend()) }
    // Nothing listens on this port: every call routed there is refused.
    let refusingPort = try ServerProcesses.freePort()
    let gateway = try await ServerProcesses.gateway(
        target: backends.map { "tcp://127.0.0.1:\($0.port)" }.joined(separator: ","),
        flags: ["--stream-idle-timeout", "\(soakStreamIdleSeconds)",
                "--route", "wrpc-gateway:demo/keyvalue@0.1.0=tcp://127.0.0.1:\(refusingPort)"])
    defer { gateway.stop() }
    let faults = SoakFaultLog(grace: .milliseconds(SoakCall.timeoutMs) + .seconds(soakStreamIdleSeconds + 1))
    let stats = SoakStats()
    let period = max(10, interval / 2)
    // The first row's readings begin this late (`SoakRow.printRows`).
    let warmUp = min(10, interval / 2)

    printTitle("Soak: 64 connections for \(seconds) s through the gateway to 3 backend processes, a fault every \(period) s")
    print("Mix per call: 86% `greeter.hello`, 6% `count` n = \(SoakCall.countN) as NDJSON, 4% 256 KiB `upload`, 4% 256 KiB `download`; `Wrpc-Timeout-Ms: \(SoakCall.timeoutMs)`, gateway flags `--stream-idle-timeout \(soakStreamIdleSeconds)` (\(gateway.flagsDescription)). Faults in turn, \(soakFaultSeconds) s each: one backend SIGKILLed then restarted on its port, one SIGSTOPped then SIGCONTed, 1 call in 10 to a route whose backend refuses. An error is expected when the call overlapped a fault's window (plus \(Int(faults.grace.seconds)) s) and got 502/503/504, or a cut stream from a killed or hung backend; every other error is unexpected. Latency: `hello` calls answered 200.\n")
    print("Memory and descriptors: the mean (lowest–highest) of the readings taken every second since the previous row (the first row's from \(warmUp) s on).\n")
    print("| elapsed | gateway RSS | of it anonymous | fds | calls | calls/s | hello p50 | hello p99 | faults begun | expected errors | unexpected errors |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
    flushTables()

    let start = ContinuousClock.now
    let end = start + .seconds(seconds)
    // The last row is read at `end` too, while the connections are still
    // open: the callers only stop once their call in flight is answered.
    let rowTimes = stride(from: interval, to: seconds, by: interval).map { start + .seconds($0) } + [end]
    let row = SoakRow(pid: gateway.pid, start: start, stats: stats, faults: faults)
    let pool = backends
    async let injected = injectFaults(into: pool, log: faults, start: start, end: end, period: period)
    async let rows = row.printRows(at: rowTimes, warmUp: .seconds(warmUp))
    let port = gateway.port
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<64 {
            group.addTask {
                try await onOwnThread("soak \(i)") { cancel in
                    soakCaller(port: port, start: start, end: end, faults: faults, stats: stats, cancel: cancel)
                }
            }
        }
        try await group.waitForAll()
    }
    backends = try await injected
    defer { for b in backends { kill(b.pid, SIGCONT); b.stop() } }
    let samples = await rows
    // Calls answered after the last row: in the totals, not in a row.
    let tail = stats.drain()
    print("")
    summarize(samples, tail: tail, stats: stats)
}

/// The gateway's `--stream-idle-timeout` here: a stream stalled by a hung
/// backend is cut this soon, inside its fault's window.
let soakStreamIdleSeconds = 3
/// How long each fault lasts.
let soakFaultSeconds = 5

/// One caller: a keep-alive connection, calls from the mix until `end`. An
/// answer other than 200 may close the connection, so the next call opens
/// a new one.
private func soakCaller(port: Int, start: ContinuousClock.Instant, end: ContinuousClock.Instant,
                        faults: SoakFaultLog, stats: SoakStats, cancel: CancelFlag) {
    var http: HTTPConnection?
    while ContinuousClock.now < end, !cancel.isCancelled {
        var call = SoakCall.pick(Int.random(in: 0..<100))
        if faults.active == .refuse, Int.random(in: 0..<10) == 0 { call = .refused }
        let t0 = ContinuousClock.now
        var outcome: SoakCall.Outcome
        do {
            let connection = try http ?? HTTPConnection(port: port, timeoutSeconds: 15)
            http = connection
            outcome = try call.run(on: connection)
        } catch let cut as SoakCall.Cut {
            outcome = .cut(cut.reason)
        } catch {
            outcome = .failed("\(error)")
        }
        if case .ok = outcome {} else { http = nil }
        let t1 = ContinuousClock.now
        stats.record(call, outcome, microseconds: (t1 - t0).microseconds,
                     fault: faults.covering(from: t0, to: t1), at: (t0 - start).seconds)
    }
}

/// Injects a fault every `period` from half a period in, kill, stop and
/// refuse in turn, none starting too late to end before `end`. Returns the
/// backends as they are at the end (a killed one is a new process).
private func injectFaults(into backends: [ServerProcess], log: SoakFaultLog, start: ContinuousClock.Instant,
                          end: ContinuousClock.Instant, period: Int) async throws -> [ServerProcess] {
    var backends = backends
    let victim = 1
    var k = 0
    while true {
        let at = start + .seconds(period * k) + .seconds(period) / 2
        guard at + .seconds(soakFaultSeconds) + log.grace < end else { return backends }
        let fault = SoakFault.allCases[k % SoakFault.allCases.count]
        k += 1
        try await Task.sleep(until: at, clock: .continuous)
        log.begin(fault)
        switch fault {
        case .kill:
            let port = backends[victim].port
            kill(backends[victim].pid, SIGKILL)
            backends[victim].stop()
            try await Task.sleep(for: .seconds(soakFaultSeconds))
            backends[victim] = try await ServerProcesses.demoBackend(port: port)
        case .stop:
            kill(backends[victim].pid, SIGSTOP)
            try await Task.sleep(for: .seconds(soakFaultSeconds))
            kill(backends[victim].pid, SIGCONT)
        case .refuse:
            try await Task.sleep(for: .seconds(soakFaultSeconds))
        }
        log.end()
    }
}

/// The end of the soak: drift of RSS and descriptors against the first row
/// (the rows' means decide; their lowest and highest are shown), and the
/// unexpected errors.
private func summarize(_ samples: [SoakRow.Sample], tail: SoakStats.Window, stats: SoakStats) {
    func drift(_ name: String, _ ranges: [SoakRow.Range], unit: (Double) -> String) {
        guard let first = ranges.first else { return }
        let means = ranges.map(\.mean)
        let within = means.allSatisfy { abs($0 - first.mean) <= 0.1 * first.mean }
        func percent(_ v: Double) -> String { String(format: "%+.1f%%", (v - first.mean) / max(first.mean, 1) * 100) }
        print("- \(name): mean per row \(unit(means.min()!))–\(unit(means.max()!)) (first \(unit(first.mean)), last \(unit(means.last!)), \(percent(means.last!))): **\(within ? "within" : "outside") ±10%** of the first row's; lowest reading \(unit(Double(ranges.map(\.low).min()!))), highest \(unit(Double(ranges.map(\.high).max()!)))")
    }
    drift("gateway RSS", samples.map(\.rssKiB)) { String(format: "%.1f MiB", $0 / 1024) }
    drift("of it anonymous", samples.map(\.anonymousKiB)) { String(format: "%.1f MiB", $0 / 1024) }
    drift("gateway open fds", samples.map(\.fds)) { String(format: "%.0f", $0) }
    let total = samples.reduce(into: tail.byKind) { all, s in all.merge(s.byKind, uniquingKeysWith: +) }
    print("- calls: \(total.values.reduce(0, +)) (\(SoakCall.allCases.map { "\($0.rawValue) \(total[$0] ?? 0)" }.joined(separator: ", "))), \(tail.calls) of them answered after the last row")
    print("- unexpected errors: **\(stats.unexpectedCount)**")
    for s in stats.firstSurprises {
        print("  - at \(String(format: "%.1f", s.seconds)) s, \(s.call.rawValue)\(s.fault.map { " (in a \($0.rawValue) window)" } ?? ""): \(s.what)")
    }
    print("")
}
