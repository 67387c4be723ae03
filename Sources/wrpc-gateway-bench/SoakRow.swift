import Foundation

/// Prints the soak's rows: what the gateway process holds (from /proc) and
/// what the callers did since the previous row.
struct SoakRow: Sendable {
    struct Sample: Sendable {
        let rssKiB: Int
        let anonymousKiB: Int
        let fds: Int
        let byKind: [SoakCall: Int]
    }

    let pid: Int32
    let start: ContinuousClock.Instant
    let stats: SoakStats
    let faults: SoakFaultLog

    /// A row at each of `times`, waiting for each.
    func printRows(at times: [ContinuousClock.Instant]) async -> [Sample] {
        var samples: [Sample] = []
        var previous = start
        for time in times {
            try? await Task.sleep(until: time, clock: .continuous)
            samples.append(printNow(since: previous))
            previous = time
        }
        return samples
    }

    /// A row for the calls since `previous`.
    func printNow(since previous: ContinuousClock.Instant) -> Sample {
        let now = ContinuousClock.now
        let w = stats.drain()
        let sample = Sample(rssKiB: residentKiB(pid: pid), anonymousKiB: anonymousResidentKiB(pid: pid), fds: openDescriptors(pid: pid), byKind: w.byKind)
        let hello = LoadResult(samples: w.helloLatencies, seconds: (now - previous).seconds)
        func errors(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "0" : counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        print("| \(Int((now - start).seconds.rounded())) s | \(String(format: "%.1f", Double(sample.rssKiB) / 1024)) MiB | \(String(format: "%.1f", Double(sample.anonymousKiB) / 1024)) MiB | \(sample.fds) | \(w.calls) | \(Int(Double(w.calls) / max((now - previous).seconds, 0.001))) | \(formatDuration(hello.percentile(0.5) * 1e3)) | \(formatDuration(hello.percentile(0.99) * 1e3)) | \(faults.started(from: previous, to: now)) | \(errors(w.expected)) | \(errors(w.unexpected)) |")
        flushTables()
        return sample
    }
}
