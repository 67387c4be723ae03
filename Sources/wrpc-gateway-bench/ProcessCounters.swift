import Foundation

/// What the kernel has counted so far for one process, from /proc.
struct ProcessCounters {
    /// Voluntary plus involuntary context switches of the threads alive at
    /// the reading. Linux counts them per thread and /proc/PID/status shows
    /// only the main thread's, so every /proc/PID/task/*/status is summed; a
    /// thread that has exited takes its count with it.
    var contextSwitches = 0
    /// The involuntary part: the thread was runnable and preempted (by other
    /// processes on the same cores), rather than waiting for work.
    var involuntarySwitches = 0
    /// User plus system CPU time, process-wide: /proc/PID/stat keeps the
    /// time of exited threads too.
    var cpuMicroseconds = 0.0
    /// The user-space part of `cpuMicroseconds`.
    var userMicroseconds = 0.0
    var threads = 0

    init(pid: Int32) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for tid in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8) else { continue }
            threads += 1
            for line in status.split(separator: "\n")
            where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
                let n = Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
                contextSwitches += n
                if line.hasPrefix("non") { involuntarySwitches += n }
            }
        }
        let ticks = Self.cpuTicks(pid: pid)
        let perTick = 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
        cpuMicroseconds = (ticks.user + ticks.system) * perTick
        userMicroseconds = ticks.user * perTick
    }

    private static func cpuTicks(pid: Int32) -> (user: Double, system: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return (0, 0) }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return (0, 0) }
        return (user, system)
    }
}

/// What a process spent between two readings.
struct ProcessCost {
    let contextSwitches: Int
    let involuntarySwitches: Int
    let cpuMicroseconds: Double
    let userMicroseconds: Double
    let threadsBefore: Int
    let threadsAfter: Int

    init(from before: ProcessCounters, to after: ProcessCounters) {
        contextSwitches = after.contextSwitches - before.contextSwitches
        involuntarySwitches = after.involuntarySwitches - before.involuntarySwitches
        cpuMicroseconds = after.cpuMicroseconds - before.cpuMicroseconds
        userMicroseconds = after.userMicroseconds - before.userMicroseconds
        threadsBefore = before.threads
        threadsAfter = after.threads
    }

    /// Reads the counters around `body`.
    static func measure<T>(pid: Int32, _ body: () async throws -> T) async rethrows -> (T, ProcessCost) {
        let before = ProcessCounters(pid: pid)
        let result = try await body()
        return (result, ProcessCost(from: before, to: ProcessCounters(pid: pid)))
    }

    /// "switches per unit (involuntary) | CPU-µs per unit" table cells.
    func cells(per units: Double) -> String {
        guard units > 0 else { return "– | –" }
        return String(format: "%.2f (%.2f) | %.1f", Double(contextSwitches) / units,
                      Double(involuntarySwitches) / units, cpuMicroseconds / units)
    }
}

/// The descriptors a process has open (entries of /proc/PID/fd); 0 when
/// it cannot be read.
func openDescriptors(pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
}

