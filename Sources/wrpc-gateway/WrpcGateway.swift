import ArgumentParser
import WIT

@main
struct WrpcGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrpc-gateway",
        abstract: "An HTTP/JSON gateway for wRPC services described in WIT.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, EgressCommand.self, DemoCommand.self, DemoBackendCommand.self, WitCommand.self, OpenAPICommand.self, HealthcheckCommand.self]
    )
}

struct WitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wit",
        abstract: "Inspect WIT the way the gateway reads it.",
        subcommands: [SignaturesCommand.self]
    )
}

struct SignaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatures",
        abstract: "Print every function of the WIT at PATH, one canonical line each."
    )

    @Argument(help: "A .wit file, or a package directory with an optional deps/ folder.")
    var path: String

    @Option(name: .customLong("feature"), help: "Keep @unstable items of this feature (repeatable).")
    var features: [String] = []

    @Flag(help: "Keep every @unstable item.")
    var allFeatures = false

    func run() throws {
        let resolve: Resolve
        do {
            resolve = try Resolve.load(path: path, options: LoadOptions(features: Set(features), allFeatures: allFeatures))
        } catch {
            FileHandleOutput.standardError("\(error)\n")
            throw ExitCode(1)
        }
        for line in Signatures.lines(resolve) { print(line) }
    }
}
