import Foundation
import TestSupport

/// What the edge costs: `greeter.hello` through four gateway processes in
/// front of one demo backend — plain HTTP (the baseline), HTTPS, an API key
/// and a JWT (ES256) — driven by wrk with keep-alive, round after round so
/// that each ratio compares runs made seconds apart.
func securityBenchmark(shared: String) async throws {
    if let reason = ServerProcesses.wrkSkipReason {
        print("## Security: skipped (\(reason))\n")
        return
    }
    let dir = NSTemporaryDirectory() + "wrpc-bench-security-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try makeCertificate(in: dir)
    let key = UUID().uuidString
    try "bench:\(key)\n".write(toFile: "\(dir)/keys", atomically: true, encoding: .utf8)
    let signer = try await TestSigner()
    try signer.jwks.write(toFile: "\(dir)/jwks.json", atomically: true, encoding: .utf8)
    let token = try await signer.token(.es256, claims: ["sub": "bench", "exp": Int(Date().timeIntervalSince1970) + 3600])

    let backend = try await ServerProcesses.demoBackend()
    defer { backend.stop() }
    let target = "tcp://127.0.0.1:\(backend.port)"
    let cases: [(name: String, flags: [String], https: Bool, header: String?)] = [
        ("plain HTTP (baseline)", [], false, nil),
        ("HTTPS (TLS 1.3, ECDSA P-256)", ["--tls-cert", "\(dir)/server.pem", "--tls-key", "\(dir)/server.key"], true, nil),
        ("API key (`X-API-Key`)", ["--api-keys-file", "\(dir)/keys"], false, "X-API-Key: \(key)"),
        ("JWT (ES256, `Authorization: Bearer`)", ["--jwt-jwks-file", "\(dir)/jwks.json"], false, "Authorization: Bearer \(token)"),
    ]
    var gateways: [ServerProcess] = []
    defer { for g in gateways { g.stop() } }
    for c in cases { gateways.append(try await ServerProcesses.gateway(target: target, flags: c.flags, https: c.https)) }
    var scripts: [String] = []
    for (i, c) in cases.enumerated() {
        let path = "\(dir)/case\(i).lua"
        let header = c.header.flatMap { h in
            h.firstIndex(of: ":").map { colon in (name: String(h[..<colon]), value: String(h[h.index(colon, offsetBy: 2)...])) }
        }
        try writeHelloScript(to: path, header: header)
        scripts.append(path)
    }
    let wrkThreads = ProcessInfo.processInfo.environment["WRK_THREADS"] ?? "2"
    let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3
    var results = Array(repeating: [WrkResult](), count: cases.count)
    for _ in 0..<rounds {
        for (i, c) in cases.enumerated() {
            let url = "\(c.https ? "https" : "http")://127.0.0.1:\(gateways[i].port)\(DemoAPI.hello)"
            let script = scripts[i]
            let r = try await onOwnThread("wrk") { _ in
                try runWrk(["-t\(wrkThreads)", "-c64", "-d3s", "--latency", "-s", script, url])
            }
            results[i].append(r)
        }
    }
    printTitle("Security: plain HTTP, HTTPS, API key and JWT, `greeter.hello`, 64 keep-alive connections")
    print("Four gateway processes in front of one demo backend process; wrk (\(wrkThreads) threads, 64 connections, keep-alive) runs each case for 3 s, \(rounds) rounds of the four back to back. Each figure is the median over the rounds; the ratio is the median of the rounds' own ratios to the plain-HTTP run of the same round (their range in brackets). Targets: HTTPS ≥ 0.7, API key ≥ 0.95, JWT ≥ 0.8.\n")
    print("| case | calls/s | p50 | p99 | × plain HTTP |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (i, c) in cases.enumerated() {
        let ratios = (0..<rounds).map { results[i][$0].rate / results[0][$0].rate }
        let ratio = i == 0 ? "1.00" : ratioText(ratios)
        print("| \(c.name) | \(Int(median(results[i].map(\.rate)))) | \(Int(median(results[i].map(\.p50)))) µs | \(Int(median(results[i].map(\.p99)))) µs | \(ratio) |")
    }
    print("")
    let errors = results.joined().reduce(0) { $0 + $1.errors }
    if errors > 0 { print("wrk reported \(errors) non-2xx or socket errors\n") }
}

/// A self-signed P-256 certificate for 127.0.0.1, made with the openssl command.
private func makeCertificate(in dir: String) throws {
    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                         "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.pem"]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    guard openssl.terminationStatus == 0 else { throw BenchError("openssl could not make a certificate") }
}
