import Foundation
import Testing

/// The README's lines do what they say (`curl --json` sends
/// `Accept: application/json`, which asks for stream results collected
/// into JSON, so the stream examples use plain `-d`). The stream examples are run as written, with curl.
@Suite struct ReadmeExamplesTests {
    /// The README's shell lines (continuations joined) that call `function`.
    static func commands(calling function: String) throws -> [String] {
        let readme = try String(contentsOfFile: "README.md", encoding: .utf8)
        let joined = readme.replacingOccurrences(of: "\\\n", with: " ")
        return joined.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("curl ") && $0.contains("/blobs@0.1.0/\(function) ")
        }
    }

    static func run(_ command: String, port: Int, in directory: String) throws -> ProcessResult {
        let local = command.replacingOccurrences(of: "localhost:8080", with: "127.0.0.1:\(port)")
        return try runSync("/bin/sh", ["-c", "cd '\(directory)' && \(local)"])
    }

    @Test func downloadWritesTheRawBytes() async throws {
        let stack = try Stack()
        let directory = NSTemporaryDirectory() + "readme-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try Self.commands(calling: "download")
        #expect(lines.count == 1)
        for line in lines {
            #expect(line.contains("-o out.bin"))
            let result = try await Task.detached { try Self.run(line, port: stack.port, in: directory) }.value
            #expect(result.status == 0, "\(result.stderr)")
            let size = (try FileManager.default.attributesOfItem(atPath: directory + "/out.bin")[.size] as? Int) ?? -1
            #expect(size == 1_000_000, "out.bin holds \(size) bytes, not the 1000000 raw bytes asked for")
        }
        await stack.stop()
    }

    @Test func countAnswersNDJSONByDefault() async throws {
        let stack = try Stack()
        let lines = try Self.commands(calling: "count").filter { !$0.contains("Accept") }
        #expect(lines.count == 1)
        for line in lines {
            let result = try await Task.detached { try Self.run(line, port: stack.port, in: NSTemporaryDirectory()) }.value
            #expect(result.stdout == "1\n2\n3\n", "\(result.stdout)")
        }
        await stack.stop()
    }
}
