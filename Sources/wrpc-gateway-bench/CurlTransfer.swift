import Foundation

/// One timed transfer and what the measured process spent on it.
struct Transfer {
    var seconds: Double
    var bytes: Int64
    var cpuMicroseconds: Double
    var contextSwitches: Int = 0

    var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
    var mebibytes: Double { Double(bytes) / Double(1 << 20) }
    var cpuMicrosecondsPerMiB: Double { cpuMicroseconds / mebibytes }
    var switchesPerMiB: Double { Double(contextSwitches) / mebibytes }

    /// Times `body` (which moves `size` bytes) and reads the measured process's counters around it.
    static func measure(_ pid: Int32, size: Int64, _ body: () async throws -> Void) async throws -> Transfer {
        let start = ContinuousClock.now
        let ((), cost) = try await ProcessCost.measure(pid: pid) { try await body() }
        return Transfer(seconds: (ContinuousClock.now - start).seconds, bytes: size,
                        cpuMicroseconds: cost.cpuMicroseconds, contextSwitches: cost.contextSwitches)
    }
}

/// Runs curl to completion; its CPU time from the children's rusage (the
/// servers are still running, so only curl ends in between).
func curl(_ args: [String], size: Int64) async throws -> Transfer {
    try await onOwnThread("curl") { _ in
        var before = rusage()
        getrusage(RUSAGE_CHILDREN_WHO, &before)
        let start = ContinuousClock.now
        let child = try ChildProcess("curl", executable: "/usr/bin/curl", arguments: args)
        child.wait()
        let seconds = (ContinuousClock.now - start).seconds
        guard child.exitStatus == 0 else { throw BenchError("curl \(args.joined(separator: " ")) exited with \(child.exitStatus)") }
        var after = rusage()
        getrusage(RUSAGE_CHILDREN_WHO, &after)
        func micros(_ t: timeval) -> Double { Double(t.tv_sec) * 1e6 + Double(t.tv_usec) }
        let cpu = micros(after.ru_utime) + micros(after.ru_stime) - micros(before.ru_utime) - micros(before.ru_stime)
        return Transfer(seconds: seconds, bytes: size, cpuMicroseconds: cpu)
    }
}

/// Glibc imports `RUSAGE_CHILDREN` as an enum case; getrusage takes its raw value.
private let RUSAGE_CHILDREN_WHO = __rusage_who_t(RUSAGE_CHILDREN.rawValue)
