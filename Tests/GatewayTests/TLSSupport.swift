import Foundation
import Testing
import Locking
import TestSupport

/// Certificates made with the openssl command: two server authorities (for
/// reloads), a server certificate from each for localhost and 127.0.0.1
/// (and an RSA one from the first, for RSA cipher suites), a
/// client authority with one client, and a client from an authority nobody
/// trusts. Made once per test process, on a thread of its own (the openssl
/// runs would otherwise hold the concurrency pool other tests run on).
struct TestPKI: Sendable {
    let directory: String

    static func shared() async throws -> TestPKI { try await made.value }

    private static let made = Task {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread { c.resume(with: Result { try TestPKI() }) }
        }
    }

    /// A new folder for one test's own files.
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "gw-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private init() throws {
        directory = try Self.scratch()
        try authority("ca1")
        try authority("ca2")
        try authority("client-ca")
        try authority("rogue-ca")
        try leaf("server1", by: "ca1", subject: "localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        try leaf("server2", by: "ca2", subject: "localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        try leaf("alice", by: "client-ca", subject: "alice", extensions: "extendedKeyUsage=clientAuth")
        try leaf("mallory", by: "rogue-ca", subject: "mallory", extensions: "extendedKeyUsage=clientAuth")
        try leaf("server-rsa", by: "ca1", subject: "localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth",
                 key: ["-newkey", "rsa:2048"])
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    private func authority(_ name: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).pem")])
    }

    private func leaf(_ name: String, by ca: String, subject: String, extensions: String,
                      key: [String] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]) throws {
        try openssl(["req"] + key + ["-nodes", "-subj", "/CN=\(subject)",
                     "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
                     "-CAcreateserial", "-days", "2", "-extfile", path("\(name).ext"), "-out", path("\(name).pem")])
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try runSync("/usr/bin/openssl", arguments)
        guard result.status == 0 else { throw CLIErrorForTests("openssl \(arguments.joined(separator: " ")): \(result.stderr)") }
    }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to its end (for short, local commands).
func runSync(_ program: String, _ arguments: [String]) throws -> ProcessResult {
    let out = Pipe(), err = Pipe()
    let process = try SpawnedProcess(program, arguments, stdout: out.fileHandleForWriting.fileDescriptor,
                                     stderr: err.fileHandleForWriting.fileDescriptor)
    // The child holds the write ends now: the reads below end when it does.
    try out.fileHandleForWriting.close()
    try err.fileHandleForWriting.close()
    // Read before waiting: a full pipe would otherwise stall the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    let status = process.waitUntilExit()
    return ProcessResult(status: status, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// curl, as a client with its own TLS stack: `-w` appends the status code
/// on a line of its own. Off the concurrency pool, which it would block.
func curl(_ arguments: [String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread {
            c.resume(with: Result { try runSync("/usr/bin/curl", ["-sS", "--max-time", "30", "-w", "\n%{http_code}"] + arguments) })
        }
    }
}

extension ProcessResult {
    /// The HTTP status curl reports (0 when no response came).
    var httpStatus: Int { Int(stdout.split(separator: "\n").last ?? "") ?? 0 }
    var body: String { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n") }
}

/// Whether `openssl s_client` completes a handshake with the server on
/// `port` offering only what `arguments` allow (e.g. `-tls1_2 -cipher
/// AES128-SHA`); its output says why not. Off the concurrency pool.
func handshake(port: Int, _ arguments: [String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread {
            c.resume(with: Result {
                try runSync("/usr/bin/timeout", ["30", "/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:\(port)",
                                                 "-servername", "localhost"] + arguments)
            })
        }
    }
}

/// One TLS connection kept open by `openssl s_client`, for requests sent
/// one after another on it (keep-alive).
final class TLSConnection: Sendable {
    let process: SpawnedProcess
    let input: FileHandle
    /// Held for its readability handler, which goes with it.
    let output: FileHandle
    let received = Received()

    final class Received: Sendable {
        let bytes = Locked<[UInt8]>([])
        func withLock<T>(_ body: (inout [UInt8]) -> T) -> T { bytes.withLock { body(&$0) } }
    }

    init(port: Int, caFile: String) throws {
        let stdin = Pipe(), stdout = Pipe()
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        let received = self.received
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            received.withLock { $0 += data }
        }
        process = try SpawnedProcess("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
                                                          "-CAfile", caFile, "-verify_return_error", "-quiet"],
                                     stdin: stdin.fileHandleForReading.fileDescriptor, stdout: stdout.fileHandleForWriting.fileDescriptor)
        // The child's ends, which only the child needs.
        try stdin.fileHandleForReading.close()
        try stdout.fileHandleForWriting.close()
    }

    /// Sends a GET and waits (up to 20 s) for a whole answer with a Content-Length.
    func get(_ path: String) async throws -> Reply {
        received.withLock { $0 = [] }
        try input.write(contentsOf: Data("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let bytes = received.withLock { $0 }
            if let reply = try? parseReply(bytes), let length = reply.header("content-length").flatMap(Int.init), reply.body.count >= length {
                return reply
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CLIErrorForTests("no whole answer on the TLS connection; got \(received.withLock { $0.count }) bytes")
    }

    var isRunning: Bool { process.isRunning }

    func close() {
        // SIGKILL: the test process may have left SIGTERM ignored, and a
        // child inherits that.
        if process.isRunning { process.signal(SIGKILL) }
        process.waitUntilExit()
        output.readabilityHandler = nil
        try? input.close()
    }
}
