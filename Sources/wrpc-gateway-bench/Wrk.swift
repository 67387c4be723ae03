import Foundation

/// What wrk printed for one run.
struct WrkResult {
    var rate = 0.0
    var requests = 0
    var p50 = 0.0
    var p99 = 0.0
    var errors = 0
}

/// Writes a wrk script to `path` that POSTs `greeter.hello`'s JSON body,
/// with one more header when given.
func writeHelloScript(to path: String, header: (name: String, value: String)? = nil) throws {
    var lua = """
        wrk.method = "POST"
        wrk.body = '\(String(decoding: DemoAPI.helloBody, as: UTF8.self))'
        wrk.headers["Content-Type"] = "application/json"

        """
    if let header { lua += "wrk.headers[\"\(header.name)\"] = \"\(header.value)\"\n" }
    try lua.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Runs wrk as a child and parses its `--latency` report. Blocking for the
/// run's duration: call it with `onOwnThread`.
func runWrk(_ args: [String]) throws -> WrkResult {
    let pipe = Pipe()
    let wrk = try ChildProcess("wrk", executable: "/usr/bin/wrk", arguments: args, output: .capture(pipe))
    defer { wrk.stop() }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    wrk.wait()
    let result = parseWrk(String(decoding: data, as: UTF8.self))
    guard result.requests > 0 else { throw BenchError("wrk made no requests: \(String(decoding: data, as: UTF8.self))") }
    return result
}

func parseWrk(_ text: String) -> WrkResult {
    var result = WrkResult()
    func micros(_ s: Substring) -> Double {
        let t = s.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in [("us", 1.0), ("ms", 1e3), ("s", 1e6)] where t.hasSuffix(suffix) {
            return (Double(t.dropLast(suffix.count)) ?? 0) * factor
        }
        return 0
    }
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("Requests/sec:"), parts.count > 1 { result.rate = Double(parts[1]) ?? 0 }
        // "  123456 requests in 3.00s, 12.34MB read"
        if parts.count > 2, parts[1] == "requests", parts[2] == "in" { result.requests = Int(parts[0]) ?? 0 }
        if parts.count == 2, parts[0] == "50%" { result.p50 = micros(parts[1]) }
        if parts.count == 2, parts[0] == "99%" { result.p99 = micros(parts[1]) }
        if line.contains("Non-2xx") || line.contains("Socket errors") {
            result.errors += parts.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
        }
    }
    return result
}
