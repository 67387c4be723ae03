import Foundation
import TestSupport

/// Prints the soak's rows: what the gateway process holds (from /proc) and
/// what the callers did since the previous row.
///
/// What the process holds is read once a second, and a row gives the lowest
/// and highest reading since the previous row. A single reading under load
/// mostly tells what was in flight at that instant: every call to a backend
/// holds a descriptor of its own, so 64 callers move the count by up to 64
/// between two readings, and their buffers move RSS. A leak raises every
/// reading, so the verdict is on each row's mean; its lowest and highest
/// are shown beside it. (The lowest alone swung with single readings: with
/// jemalloc, a reading just after a purge of freed pages is a dip of a few
/// MiB that the next second takes back.)
struct SoakRow: Sendable {
    /// The readings between two rows.
    struct Range: Sendable {
        var low: Int
        var high: Int
        private var sum: Int
        private var count = 1
        init(_ value: Int) { low = value; high = value; sum = value }
        mutating func add(_ value: Int) { low = min(low, value); high = max(high, value); sum += value; count += 1 }
        var mean: Double { Double(sum) / Double(count) }
    }

    struct Sample: Sendable {
        var rssKiB: Range
        var anonymousKiB: Range
        var fds: Range
        var byKind: [SoakCall: Int] = [:]

        init(pid: Int32) {
            rssKiB = Range(residentKiB(pid: pid))
            anonymousKiB = Range(anonymousResidentKiB(pid: pid))
            fds = Range(openDescriptors(pid: pid))
        }

        mutating func add(pid: Int32) {
            rssKiB.add(residentKiB(pid: pid))
            anonymousKiB.add(anonymousResidentKiB(pid: pid))
            fds.add(openDescriptors(pid: pid))
        }
    }

    let pid: Int32
    let start: ContinuousClock.Instant
    let stats: SoakStats
    let faults: SoakFaultLog

    /// A row at each of `times`, reading the process once a second between.
    /// The first readings wait for `warmUp`: before the callers have
    /// connected and the buffers have grown, the process holds less than it
    /// ever will again, and that is no baseline.
    func printRows(at times: [ContinuousClock.Instant], warmUp: Duration) async -> [Sample] {
        var samples: [Sample] = []
        var previous = start
        try? await Task.sleep(until: min(start + warmUp, times.first ?? start), clock: .continuous)
        for time in times {
            var sample = Sample(pid: pid)
            while ContinuousClock.now < time {
                try? await Task.sleep(until: min(time, .now + .seconds(1)), clock: .continuous)
                sample.add(pid: pid)
            }
            samples.append(printNow(sample, since: previous))
            previous = time
        }
        return samples
    }

    /// A row for the calls since `previous`.
    func printNow(_ sample: Sample, since previous: ContinuousClock.Instant) -> Sample {
        let now = ContinuousClock.now
        let w = stats.drain()
        var sample = sample
        sample.byKind = w.byKind
        let hello = LoadResult(samples: w.helloLatencies, seconds: (now - previous).seconds)
        func errors(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "0" : counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        func mib(_ r: Range) -> String { String(format: "%.1f (%.1f–%.1f) MiB", r.mean / 1024, Double(r.low) / 1024, Double(r.high) / 1024) }
        print("| \(Int((now - start).seconds.rounded())) s | \(mib(sample.rssKiB)) | \(mib(sample.anonymousKiB)) | \(String(format: "%.0f", sample.fds.mean)) (\(sample.fds.low)–\(sample.fds.high)) | \(w.calls) | \(Int(Double(w.calls) / max((now - previous).seconds, 0.001))) | \(formatDuration(hello.percentile(0.5) * 1e3)) | \(formatDuration(hello.percentile(0.99) * 1e3)) | \(faults.started(from: previous, to: now)) | \(errors(w.expected)) | \(errors(w.unexpected)) |")
        flushTables()
        return sample
    }
}
