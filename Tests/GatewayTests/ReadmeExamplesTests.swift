import Foundation
import Testing

/// The examples of the README and the guides do what they say (`curl
/// --json` sends `Accept: application/json`, which asks for stream results
/// collected into JSON, so the stream examples use plain `-d`). They are
/// run as written, with curl.
@Suite struct ReadmeExamplesTests {
    /// The README and the guides it links, as one text.
    static func documents() throws -> String {
        let guides = try FileManager.default.contentsOfDirectory(atPath: "docs").filter { $0.hasSuffix(".md") }.sorted()
        return try (["README.md"] + guides.map { "docs/" + $0 }).map { try String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// The documents' shell lines (continuations joined) that call `function`.
    static func commands(calling function: String) throws -> [String] {
        let joined = try documents().replacingOccurrences(of: "\\\n", with: " ")
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

    /// The resource example, run as one pasted script: a handle is the
    /// token `open` gave, taken from its answer, never a literal.
    @Test func resourceExampleWorksAsPasted() async throws {
        let stack = try Stack()
        let readme = try String(contentsOfFile: "README.md", encoding: .utf8)
        let lines = readme.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map(String.init)
            .filter { $0.contains("/keyvalue@0.1.0/") && ($0.hasPrefix("curl ") || $0.hasPrefix("BUCKET=")) }
        #expect(lines.count == 4)
        for line in lines where line.contains("\"self\"") {
            #expect(line.contains("\"self\": \"'\"$BUCKET\"'\""), "a pasted handle only works on the gateway that gave it: \(line)")
        }
        // An `echo` after each answer: curl ends none with a newline.
        let script = lines.map { $0.replacingOccurrences(of: "localhost:8080", with: "127.0.0.1:\(stack.port)") + ($0.hasPrefix("curl ") ? " && echo" : "") }
            .joined(separator: "\n")
        let result = try await Task.detached { try runSync("/bin/sh", ["-c", script]) }.value
        #expect(result.status == 0, "\(result.stderr)")
        let answers = result.stdout.split(separator: "\n").map(String.init)
        #expect(answers.count == 3, "\(result.stdout)")
        #expect(answers.first?.hasPrefix("{\"tag\":\"ok\",\"val\":\"") == true, "\(result.stdout)")
        #expect(Array(answers.dropFirst()) == ["{\"tag\":\"ok\"}", "{\"tag\":\"ok\",\"val\":\"cmVk\"}"], "\(result.stdout)")
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
