import Foundation

/// `swift run -c release wrpc-gateway-bench [SUITE…]`: runs the named suites
/// (all by default) and prints Markdown tables for the README.
@main
struct Bench {
    static let suites: [String: @Sendable (String) async throws -> Void] = [
        "wit": witBenchmark,
        "values": valuesBenchmark,
        "transport": transportBenchmark,
        "gateway": gatewayBenchmark,
        "stream": streamBenchmark,
    ]

    static func main() async throws {
        var args = Array(CommandLine.arguments.dropFirst())
        var shared = ProcessInfo.processInfo.environment["WRPC_SHARED_DIR"] ?? "../shared"
        if let i = args.firstIndex(of: "--shared"), i + 1 < args.count {
            shared = args[i + 1]
            args.removeSubrange(i...(i + 1))
        }
        let selected = args.isEmpty ? suites.keys.sorted() : args
        print("Machine: \(machineDescription()); Swift release build\n")
        for name in selected {
            guard let suite = suites[name] else {
                FileHandle.standardError.write(Data("unknown suite \(name); known: \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
                exit(2)
            }
            try await suite(shared)
        }
    }
}
