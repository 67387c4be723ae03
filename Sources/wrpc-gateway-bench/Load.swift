import EventLoops

/// Latency figures of a run of calls.
struct LoadResult {
    let calls: Int
    let seconds: Double
    let latencies: [Double]  // microseconds, sorted

    init(calls: Int, seconds: Double, latencies: [Double]) {
        self.calls = calls
        self.seconds = seconds
        self.latencies = latencies
    }

    /// From unsorted samples.
    init(samples: [Double], seconds: Double) {
        self.init(calls: samples.count, seconds: seconds, latencies: samples.sorted())
    }

    var callsPerSecond: Double { Double(calls) / seconds }
    var max: Double { latencies.last ?? 0 }
    func percentile(_ p: Double) -> Double {
        latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
    }
}

/// Runs `call` from `concurrency` tasks for `duration`, timing each call.
/// The callers run on the event loops, spread evenly, as the gateway's own
/// calls do: the baseline is our client at its best.
func load(concurrency: Int, duration: Duration, _ call: @escaping @Sendable () async throws -> Void) async throws -> LoadResult {
    let loops = EventLoopGroup.shared.loops
    // Warm up: connections, allocations, the loops.
    try await withTaskExecutorPreference(loops[0]) {
        for _ in 0..<200 { try await call() }
    }
    let clock = ContinuousClock()
    let start = clock.now
    let end = start + duration
    let all = try await withThrowingTaskGroup(of: [Double].self) { group in
        for i in 0..<concurrency {
            group.addTask(executorPreference: loops[i % loops.count]) {
                var lat: [Double] = []
                while clock.now < end {
                    let t0 = clock.now
                    try await call()
                    lat.append((clock.now - t0).microseconds)
                }
                return lat
            }
        }
        var out: [Double] = []
        for try await l in group { out += l }
        return out
    }
    return LoadResult(samples: all, seconds: (clock.now - start).seconds)
}
