import Foundation

// What /proc/PID/status says of another process's memory: the bench's
// rows and the tests that watch a gateway process read the same fields.

/// VmHWM of a process, in KiB.
public func peakRSS(pid: Int32) -> Int {
    statusKiB(pid: pid, field: "VmHWM:")
}

/// Resets a process's VmHWM to its current resident set (`clear_refs` 5),
/// so the next `peakRSS` is the peak of what ran in between.
public func resetPeakRSS(pid: Int32) {
    try? "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
}

/// VmRSS of a process (its resident set now), in KiB.
public func residentKiB(pid: Int32) -> Int {
    statusKiB(pid: pid, field: "VmRSS:")
}

/// RssAnon of a process: the part of its resident set that is not
/// file-backed (heap, stacks), in KiB. The rest is code and data paged in
/// from files, which grows as paths run for the first time.
public func anonymousResidentKiB(pid: Int32) -> Int {
    statusKiB(pid: pid, field: "RssAnon:")
}

/// A "Name:   N kB" line of /proc/PID/status.
private func statusKiB(pid: Int32, field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}
