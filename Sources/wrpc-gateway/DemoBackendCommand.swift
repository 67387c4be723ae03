import ArgumentParser
import DemoBackend
import EventLoops
import Foundation
import Logging
import WRPCTransport

/// Only the demo wRPC backend, for running the gateway against it with `serve`.
struct DemoBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "Run only the embedded demo wRPC backend (its WIT: demo/wit/demo.wit, or --print-wit)."
    )

    @Option(help: "Listen URL: tcp://HOST:PORT or unix:///PATH (env WRPC_GATEWAY_BACKEND_LISTEN).")
    var listen: String?

    @Option(help: "Event loops serving connections (env WRPC_GATEWAY_THREADS). [default: the number of CPUs]")
    var threads: Int?

    @Option(help: "Log format: text or json (env WRPC_GATEWAY_LOG_FORMAT). [default: text]")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env WRPC_GATEWAY_LOG_LEVEL). [default: info]")
    var logLevel: String?

    @Flag(help: "Print the demo WIT and exit.")
    var printWit = false

    func run() async throws {
        if printWit {
            print(DemoWIT.text)
            return
        }
        try startLogging(format: logFormat, level: logLevel)
        let url = listen ?? Environment.value("backend-listen") ?? "tcp://127.0.0.1:7761"
        try configureEventLoops(threads: threads)
        let listener = try await Transports.server(for: url)
        let server = try DemoBackend.server()
        Logger(label: "demo-backend").info("listening", metadata: ["address": .string(listener.address)])
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let serving = Task { await server.serve(listener) }
        _ = await terminationSignal()
        serving.cancel()
        listener.close()
    }
}

/// `GET /healthz` against a running gateway, for container health checks
/// (the runtime image has no curl).
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 if the gateway at --listen answers GET /healthz with 200."
    )

    @Option(help: "The gateway's address HOST:PORT (env WRPC_GATEWAY_LISTEN). [default: 127.0.0.1:8080]")
    var listen: String?

    func run() async throws {
        var (host, port) = try parseListen(listen ?? Environment.value("listen") ?? "127.0.0.1:8080")
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        let stream = try await TCPTransport(host: host, port: port).connect()
        defer { stream.close() }
        try await stream.write(Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8))
        var reply: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty, reply.count < 4096 { reply += bytes }
        guard String(decoding: reply.prefix(16), as: UTF8.self).hasPrefix("HTTP/1.1 200") else {
            throw ExitCode(1)
        }
    }
}
