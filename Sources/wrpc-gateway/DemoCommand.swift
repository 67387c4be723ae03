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

    @Option(help: "Where the demo's egress (wrpc:http/outgoing-handler) listens: a unix:// or tcp:// URL (env WRPC_GATEWAY_EGRESS_LISTEN). [default: a Unix socket in the temporary directory]")
    var egressListen: String?

    @OptionGroup var egress: EgressOptions

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try server.bootstrapLogging()
        let backendURL = backend ?? Environment.value("backend")
            ?? "unix://\(NSTemporaryDirectory())wrpc-gateway-demo-\(getpid()).sock"
        let listener = try await Transports.server(for: backendURL)
        var config = GatewayConfig(target: listener.address)
        // The backend's incoming-handler app, as plain HTTP under /app.
        config.forwards = [ForwardRoute(prefix: "/app", urls: [listener.address])]
        // First: it sizes the event loops, which the backend then serves on.
        try await server.apply(to: &config)
        config.urlFetch.allowInternalAddresses = egress.privateAddressesAllowed
        let backendServer = try DemoBackend.server()
        let serving = Task { await backendServer.serve(listener) }
        defer {
            serving.cancel()
            listener.close()
        }
        let gateway = try Gateway(resolve: try DemoBackend.resolve(), config: config)
        let egressURL = egressListen ?? Environment.value("egress-listen")
            ?? "unix://\(NSTemporaryDirectory())wrpc-gateway-demo-egress-\(getpid()).sock"
        var egressServing: (task: Task<Void, Never>, listener: any ServerTransport)?
        defer {
            egressServing?.listener.close()
            egressServing?.task.cancel()
        }
        try await runUntilSignalled(gateway) { port in
            let host = config.host.contains(":") ? "[\(config.host)]" : config.host
            let scheme = config.tls == nil ? "http" : "https"
            let base = "\(scheme)://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
            // The demo's egress may fetch from the gateway itself (on
            // loopback, so internal addresses are allowed here), and from
            // whatever --allow-url-prefix adds.
            let allowed = [base + "/"] + config.urlFetch.allowedPrefixes
            egressServing = try await egress.start(listen: egressURL, allowedPrefixes: allowed, metrics: gateway.metrics.factory) {
                $0.allowInternalAddresses = true
            }
            let egressAddress = egressServing!.listener.address
            let handle = "wrpc:http/outgoing-handler@0.1.0/handle"
            let request = #"{"request": {"method": {"tag": "get"}, "scheme": {"tag": "\#(scheme.uppercased())"}, "authority": "\#(base.dropFirst(scheme.count + 3))", "path-with-query": "/healthz", "headers": [], "body": "", "trailers": null}, "options": null}"#
            let greeter = "wrpc-gateway:demo/greeter@0.1.0"
            let types = "wrpc-gateway:demo/types@0.1.0"
            let kv = "wrpc-gateway:demo/keyvalue@0.1.0"
            FileHandle.standardOutput.write(Data("""

                wrpc-gateway demo: the demo backend listens on \(listener.address),
                the gateway on \(base).\(config.console ? "\n\nOpen \(base)/ in a browser to find and call every function." : "") Or try:

                  curl -s \(base)/invoke/\(greeter)/hello --json '{"name": "world"}'
                  curl -s \(base)/invoke/\(types)/echo-record --json '{"p": {"x": 1, "y": -2}}'
                  curl -s \(base)/invoke/\(kv)/open --json '{"identifier": "fruit"}'

                Every function: curl -s \(base)/functions

                Plain HTTP under /app goes to the backend's wrpc:http/incoming-handler:

                  curl -si \(base)/app/echo -d 'hello' -H 'x-demo: 1'
                  curl -s \(base)/app/bytes/1048576 | sha256sum
                  head -c 10000000 /dev/urandom | curl -s -T - \(base)/app/sha256
                  curl -si \(base)/app/status/418
                  curl -s --raw \(base)/app/trailers
                  curl -si \(base)/app/error/connection-refused

                The egress (wrpc:http/outgoing-handler@0.1.0: outgoing HTTP for wRPC
                callers, with libcurl) listens on \(egressAddress) and may fetch
                \(allowed.joined(separator: ", ")). Call it with JSON through a second gateway:

                  wrpc-gateway serve --wit builtin:wrpc-http --target \(egressAddress) --listen 127.0.0.1:8081 &
                  curl -s 127.0.0.1:8081/invoke/\(handle) --json '\(request)'

                Stop with Ctrl-C.

                """.utf8))
        }
    }
}
