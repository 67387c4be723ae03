import Foundation

/// Does a big upload starve small requests? The gateway and the demo backend
/// run as separate processes; first `greeter.hello` latency idle and while
/// one large `stream<u8>` upload flows through the same gateway, then
/// /healthz every 50 ms while four such uploads run. `FAIRNESS_BYTES` sets
/// the upload size (default 1 GiB); `FAIRNESS_STRESS=1` adds
/// `stress-ng --cpu 1` during the second part.
func fairnessBenchmark(shared: String) async throws {
    guard ServerProcesses.binary != nil else {
        print("## Fairness: skipped (\(ServerProcesses.skipReason))\n")
        return
    }
    let environment = ProcessInfo.processInfo.environment
    let size = environment["FAIRNESS_BYTES"].flatMap { Int($0) } ?? 1 << 30
    let stress = environment["FAIRNESS_STRESS"] == "1"
    let backend = try await ServerProcesses.demoBackend()
    defer { backend.stop() }
    let target = "tcp://127.0.0.1:\(backend.port)"
    let gateway = try await ServerProcesses.gateway(target: target, flags: DemoAPI.longUploadFlags)
    defer { gateway.stop() }
    try await smallCallsDuringUpload(gateway, target: target, size: size)
    flushTables()
    try await healthChecksDuringUploads(gateway, size: size, stress: stress)
}

private func smallCallsDuringUpload(_ gateway: ServerProcess, target: String, size: Int) async throws {
    let port = gateway.port
    let idle = try await onOwnThread("hello probe") { cancel in
        let end = ContinuousClock.now + .seconds(3)
        return try probeHello(port: port, cancel: cancel) { ContinuousClock.now >= end }
    }
    let (during, uploaded) = try await probeDuringUpload(probe: port, upload: port, size: size)
    // The control: the same upload through a second gateway process in front
    // of the same backend, so the probed gateway's loops carry none of it.
    // What the calls lose there is the machine's (two cores shared with the
    // upload's processes and its loopback traffic), not the probed gateway's
    // scheduling. Compare the rows at like upload rates: the rate is
    // bimodal here (about 480 or 750 MB/s), and the calls' latency follows it.
    let other = try await ServerProcesses.gateway(target: target, flags: DemoAPI.longUploadFlags)
    defer { other.stop() }
    let (control, controlUpload) = try await probeDuringUpload(probe: port, upload: other.port, size: size)

    printTitle("Fairness: `greeter.hello` while one \(sizeLabel(size)) `stream<u8>` upload flows through the same gateway")
    print("Gateway and demo backend are separate processes (gateway flags: \(gateway.flagsDescription)); the calls go one at a time over one keep-alive HTTP/1.1 connection from the bench. The demo backend SHA-256s every uploaded byte. The control row sends the upload through a second gateway process to the same backend while the calls go through the first: what the machine loses to the upload's traffic whichever loop carries it; compare rows at like upload rates.\n")
    print("| case | calls | p50 | p99 | max | × idle p99 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print("| idle (baseline) | \(latencyCells(idle)) | 1.00 |")
    print("| during the upload (\(Int(uploaded.megabytesPerSecond)) MB/s) | \(latencyCells(during)) | \(ratio(during.percentile(0.99), idle.percentile(0.99))) |")
    print("| control: the upload through another gateway process (\(Int(controlUpload.megabytesPerSecond)) MB/s) | \(latencyCells(control)) | \(ratio(control.percentile(0.99), idle.percentile(0.99))) |")
    print("")
    for result in [uploaded, controlUpload] where !result.complete { print("the upload did not complete: \(result.reply)\n") }
}

/// `greeter.hello` one at a time through the gateway on `probe` while one
/// upload of `size` bytes flows through the gateway on `upload`.
private func probeDuringUpload(probe: Int, upload port: Int, size: Int) async throws -> (LoadResult, UploadResult) {
    let progress = UploadProgress()
    async let uploading = onOwnThread("upload") { cancel in
        try upload(port: port, size: size, progress: progress, cancel: cancel)
    }
    // Time calls once the body is flowing, not while the upload is set up.
    while progress.sent < min(size / 8, 32 << 20), !progress.isFinished { try await Task.sleep(for: .milliseconds(5)) }
    let during = try await onOwnThread("hello probe") { cancel in
        try probeHello(port: probe, cancel: cancel) { progress.isFinished }
    }
    return (during, try await uploading)
}

private func healthChecksDuringUploads(_ gateway: ServerProcess, size: Int, stress: Bool) async throws {
    let port = gateway.port
    let stressing = stress && FileManager.default.isExecutableFile(atPath: "/usr/bin/stress-ng")
    // Bounded by its own timeout too, in case the bench is killed outright.
    let stressor = stressing ? try ChildProcess("stress-ng", executable: "/usr/bin/stress-ng",
                                                arguments: ["--cpu", "1", "--timeout", "900s", "--quiet"]) : nil
    defer { stressor?.stop() }
    let idle = try await onOwnThread("healthz") { cancel in
        let end = ContinuousClock.now + .seconds(2)
        return pollHealth(port: port, cancel: cancel) { ContinuousClock.now >= end }
    }
    let progresses = (0..<4).map { _ in UploadProgress() }
    let start = ContinuousClock.now
    async let polling = onOwnThread("healthz") { cancel in
        pollHealth(port: port, cancel: cancel) { progresses.allSatisfy { $0.isFinished } }
    }
    let uploads = try await withThrowingTaskGroup(of: UploadResult.self) { group in
        for progress in progresses {
            group.addTask {
                try await onOwnThread("upload") { cancel in try upload(port: port, size: size, progress: progress, cancel: cancel) }
            }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    let rate = Double(4 * size) / (ContinuousClock.now - start).seconds / 1e6
    let during = try await polling

    printTitle("Fairness: GET /healthz every 50 ms while four \(sizeLabel(size)) uploads flow through the same gateway")
    print(stressing ? "`stress-ng --cpu 1` ran during this part, baseline included." :
        stress ? "FAIRNESS_STRESS=1 but stress-ng is not installed: no CPU stress." : "No CPU stress (FAIRNESS_STRESS=1 adds `stress-ng --cpu 1`).")
    print("Each check is a new connection, as a health checker makes them.\n")
    print("| case | checks | p50 | p99 | max | > 100 ms | × idle p99 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("| idle (baseline) | \(latencyCells(idle.answered)) | \(slow(idle.answered)) | 1.00 |")
    print("| during 4 uploads (\(Int(rate)) MB/s in all) | \(latencyCells(during.answered)) | \(slow(during.answered)) | \(ratio(during.answered.percentile(0.99), idle.answered.percentile(0.99))) |")
    print("")
    for polls in [idle, during] where polls.failed > 0 {
        print("\(polls.failed) health checks failed; the first: \(polls.firstFailure ?? "?")\n")
    }
    for result in uploads where !result.complete { print("an upload did not complete: \(result.reply)\n") }
}

/// "calls | p50 | p99 | max" table cells.
private func latencyCells(_ r: LoadResult) -> String {
    "\(r.calls) | \(formatDuration(r.percentile(0.5) * 1e3)) | \(formatDuration(r.percentile(0.99) * 1e3)) | \(formatDuration(r.max * 1e3))"
}

/// How many took longer than 100 ms.
private func slow(_ r: LoadResult) -> Int {
    r.latencies.count { $0 > 100_000 }
}

private func ratio(_ value: Double, _ base: Double) -> String {
    base > 0 ? String(format: "%.2f", value / base) : "–"
}

private func sizeLabel(_ bytes: Int) -> String {
    if bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
    if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    return "\(bytes)-byte"
}
