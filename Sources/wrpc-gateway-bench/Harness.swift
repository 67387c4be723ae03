import Foundation

/// A small benchmark harness: each case runs in rounds of a fixed number of
/// iterations, and the median round is reported, so one slow round (another
/// process, a page fault storm) does not move the figure.
struct Measurement {
    let name: String
    let nanosecondsPerOp: Double
    let bytesPerOp: Int?

    var opsPerSecond: Double { 1e9 / nanosecondsPerOp }
    var megabytesPerSecond: Double? { bytesPerOp.map { Double($0) / nanosecondsPerOp * 1e3 } }
}

func measure(_ name: String, bytes: Int? = nil, rounds: Int = 9, minimumRoundSeconds: Double = 0.2,
             _ body: () throws -> Void) rethrows -> Measurement {
    // Calibrate so that one round lasts about `minimumRoundSeconds`.
    var iterations = 1
    while true {
        let t = try time(iterations, body)
        if t >= minimumRoundSeconds * 1e9 / 4 || iterations >= 1 << 24 { break }
        iterations *= 2
    }
    let perRound = max(1, Int(Double(iterations) * minimumRoundSeconds * 1e9 / max(try time(iterations, body), 1)))
    var samples: [Double] = []
    for _ in 0..<rounds { samples.append(try time(perRound, body) / Double(perRound)) }
    samples.sort()
    return Measurement(name: name, nanosecondsPerOp: samples[samples.count / 2], bytesPerOp: bytes)
}

private func time(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { try body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start)
}

/// Keeps the optimiser from deleting work whose result is unused.
@inline(never) func blackHole<T>(_ value: T) { _ = value }

func report(_ title: String, _ rows: [Measurement], baseline: Measurement) {
    print("## \(title)")
    print("| case | time/op | ops/s | MB/s | × baseline time |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for m in [baseline] + rows {
        let mbps = m.megabytesPerSecond.map { String(format: "%.1f", $0) } ?? "–"
        print("| \(m.name) | \(formatDuration(m.nanosecondsPerOp)) | \(String(format: "%.0f", m.opsPerSecond)) | \(mbps) | \(String(format: "%.2f", m.nanosecondsPerOp / baseline.nanosecondsPerOp)) |")
    }
    print("")
}

func formatDuration(_ ns: Double) -> String {
    if ns < 1e3 { return String(format: "%.0f ns", ns) }
    if ns < 1e6 { return String(format: "%.1f µs", ns / 1e3) }
    return String(format: "%.2f ms", ns / 1e6)
}

func machineDescription() -> String {
    let line = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }
    let cpu = line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
}

/// A table's title line, naming the machine: the figures are only
/// comparable with ratios from the same run on the same CPU.
func printTitle(_ title: String) {
    print("## \(title) — \(machineDescription())")
}

/// Sends what was printed on: stdout into a pipe or `tee` is block-buffered,
/// and a fairness run takes minutes. (`fflush(nil)` flushes every stream,
/// without touching the C global `stdout`, which Swift 6 rejects.)
func flushTables() {
    fflush(nil)
}

/// Rounds' ratios as the tables print them: the median, the range in brackets.
func ratioText(_ ratios: [Double]) -> String {
    String(format: "%.2f (%.2f–%.2f)", median(ratios), ratios.min() ?? 0, ratios.max() ?? 0)
}

/// The middle value (the upper one of an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
