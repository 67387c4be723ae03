import EventLoops
import Foundation

/// `swift run -c release wrpc-gateway-bench [SUITE…]`: runs the named suites
/// (all but `soak` by default) and prints Markdown tables for the README.
@main
struct Bench {
    static let suites: [String: @Sendable (String) async throws -> Void] = [
        "wit": witBenchmark,
        "values": valuesBenchmark,
        "transport": transportBenchmark,
        "gateway": gatewayBenchmark,
        "stream": streamBenchmark,
        "fairness": fairnessBenchmark,
        "egress": egressBenchmark,
        "forward": forwardBenchmark,
        "security": securityBenchmark,
        "pool": poolBenchmark,
        "proxy": proxyBenchmark,
        "failover": failoverBenchmark,
        "soak": soakBenchmark,
    ]

    static func main() async {
        // The servers it starts tune their allocator; its own clients and
        // origin do the same, so baselines and servers are alike.
        MemoryTuning.apply()
        var args = Array(CommandLine.arguments.dropFirst())
        if args.count == 2, args[0] == "--serve-origin", let port = Int(args[1]) {
            // The egress suite's origin: this binary in a process of its own.
            do { try await BenchOrigin.serve(port: port) } catch {
                FileHandle.standardError.write(Data("origin: \(error)\n".utf8))
                exit(1)
            }
        }
        if args.count == 3, args[0] == "--relay", let port = Int(args[1]), let target = Int(args[2]) {
            // The one-hop floor: this binary as a splice relay of its own.
            do { try SpliceRelay.serve(port: port, target: target) } catch {
                FileHandle.standardError.write(Data("relay: \(error)\n".utf8))
                exit(1)
            }
        }
        var shared = ProcessInfo.processInfo.environment["WRPC_SHARED_DIR"] ?? "../shared"
        if let i = args.firstIndex(of: "--shared"), i + 1 < args.count {
            shared = args[i + 1]
            args.removeSubrange(i...(i + 1))
        }
        // The soak runs for minutes by design: only when named.
        let selected = args.isEmpty ? suites.keys.sorted().filter { $0 != "soak" } : args
        if let unknown = selected.first(where: { suites[$0] == nil }) {
            FileHandle.standardError.write(Data("unknown suite \(unknown); known: \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        // Gateway and backend run as children; none may outlive the bench.
        ChildProcess.stopAllOnSignal()
        print("Machine: \(machineDescription()); Swift release build\n")
        do {
            for name in selected {
                try await suites[name]!(shared)
                flushTables()
            }
        } catch {
            ChildProcess.stopAll()
            FileHandle.standardError.write(Data("bench failed: \(error)\n".utf8))
            exit(1)
        }
    }
}
