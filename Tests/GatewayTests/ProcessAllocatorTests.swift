import Foundation
import Testing
import TestSupport

/// The executable runs on jemalloc (`ProcessAllocator`; with glibc's malloc
/// the soak's resident set kept rising from fragmentation). Checked on the
/// real process: the library is mapped, and a burst's freed pages leave the
/// resident set while the process is idle, which jemalloc's own decay does
/// not do (it advances only as the process allocates): the release loop
/// must purge through jemalloc, not trim glibc's empty heap.
@Suite(.serialized) struct ProcessAllocatorTests {
    /// The part of a process's resident set not backed by a file, in bytes.
    static func anonymous(_ pid: Int32) -> Int { anonymousResidentKiB(pid: pid) << 10 }

    /// A call that collects 8 MiB and answers it as a base64 JSON string; its status.
    static func download(_ port: Int) async throws -> Int {
        try await post(port, blobs, "download", #"{"n":8388608}"#, headers: [("Accept", "application/json")]).status
    }

    // A heavy transfer: the 8 replies (about 90 MB) pass through this test
    // process, whose RSS other tests bound; run beside one of them, it
    // failed that bound (streamingCostsNoMemoryPerElement, 12 MiB grown).
    @Test(.heavyTransfer, .disabled(if: Sanitizers.any, "a sanitizer build runs on the sanitizer's malloc (WRPC_GATEWAY_MALLOC=system)"))
    func theGatewayRunsOnJemallocAndGivesABurstBack() async throws {
        let pair = try await ShutdownTests.start()
        defer { pair.stop() }
        // Read whole with a file handle: `String(contentsOfFile:)` stops at
        // the first read of a /proc file, which reports a size of 0.
        let maps = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pair.gateway.pid)/maps")).readToEnd() ?? Data()
        #expect(String(decoding: maps, as: UTF8.self).contains("/libjemalloc.so"), "the gateway process does not map jemalloc")
        #expect(pair.gateway.log.contains("allocator=jemalloc/"), "the startup line names another allocator: \(pair.gateway.log)")

        let port = pair.port, pid = pair.gateway.pid
        #expect(try await Self.download(port) == 200)
        try await Task.sleep(for: .seconds(3))
        let baseline = Self.anonymous(pid)
        let calls = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.download(port) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        // Sampled while the calls run.
        let sampling = Task { () async -> Int in
            var highest = baseline
            while !Task.isCancelled {
                highest = max(highest, Self.anonymous(pid))
                try? await Task.sleep(for: .milliseconds(10))
            }
            return highest
        }
        let statuses = try await calls.value
        sampling.cancel()
        let peak = await sampling.value
        #expect(statuses == Array(repeating: 200, count: 8))
        // The burst must have been big enough for the check to mean something.
        #expect(peak - baseline > 64 << 20, "the burst raised the resident set by only \((peak - baseline) >> 20) MiB")
        var now = Self.anonymous(pid)
        // Not `try`: on a timeout the expectation below says by how much.
        try? await GatewayProcess.until(.seconds(15), "the burst's pages given back") {
            now = Self.anonymous(pid)
            return now <= baseline + (8 << 20)
        }
        #expect(now <= baseline + (8 << 20), "baseline \(baseline >> 20) MiB, peak \(peak >> 20) MiB, now \(now >> 20) MiB")
    }
}
