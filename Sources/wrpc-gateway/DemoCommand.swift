import ArgumentParser
import DemoBackend
import Foundation
import Gateway
import Logging
import WRPCTransport

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the embedded demo wRPC backend and the gateway in front of it."
    )

    @Option(help: "Where the demo backend listens: a unix:// or tcp:// URL. [default: a Unix socket in the temporary directory]")
    var backend: String?

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try server.bootstrapLogging()
        let backendURL = backend ?? Environment.value("backend")
            ?? "unix://\(NSTemporaryDirectory())wrpc-gateway-demo-\(getpid()).sock"
        let listener = try await Transports.server(for: backendURL)
        var config = GatewayConfig(target: listener.address)
        // First: it sizes the event loops, which the backend then serves on.
        try server.apply(to: &config)
        let backendServer = try DemoBackend.server()
        let serving = Task { await backendServer.serve(listener) }
        defer {
            serving.cancel()
            listener.close()
        }
        let gateway = try Gateway(resolve: try DemoBackend.resolve(), config: config)
        try await runUntilSignalled(gateway) { port in
            let host = config.host.contains(":") ? "[\(config.host)]" : config.host
            let base = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
            let greeter = "wrpc-gateway:demo/greeter@0.1.0"
            let types = "wrpc-gateway:demo/types@0.1.0"
            let kv = "wrpc-gateway:demo/keyvalue@0.1.0"
            FileHandle.standardOutput.write(Data("""

                wrpc-gateway demo: the demo backend listens on \(listener.address),
                the gateway on \(base). Try:

                  curl -s \(base)/invoke/\(greeter)/hello --json '{"name": "world"}'
                  curl -s \(base)/invoke/\(types)/echo-record --json '{"p": {"x": 1, "y": -2}}'
                  curl -s \(base)/invoke/\(kv)/open --json '{"identifier": "fruit"}'

                Every function: curl -s \(base)/functions
                Stop with Ctrl-C.

                """.utf8))
        }
    }
}
