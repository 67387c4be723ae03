import ArgumentParser
import CurlClient
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
        abstract: "Exit 0 if the gateway at --listen answers GET /healthz with 200 (over HTTPS when it serves HTTPS)."
    )

    @Option(help: "The gateway's address HOST:PORT (env WRPC_GATEWAY_LISTEN). [default: 127.0.0.1:8080]")
    var listen: String?

    @Option(help: "The gateway serves HTTPS with this certificate, which is then the one trusted (env WRPC_GATEWAY_TLS_CERT).")
    var tlsCert: String?

    @Option(help: "With mutual TLS: the client certificate to present (env WRPC_GATEWAY_HEALTHCHECK_CERT).")
    var healthcheckCert: String?

    @Option(help: "Its key (env WRPC_GATEWAY_HEALTHCHECK_KEY).")
    var healthcheckKey: String?

    func run() async throws {
        var (host, port) = try parseListen(listen ?? Environment.value("listen") ?? "127.0.0.1:8080")
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        if let certificate = tlsCert ?? Environment.value("tls-cert") {
            return try await httpsCheck(host: host, port: port, certificate: certificate)
        }
        let stream = try await TCPTransport(host: host, port: port).connect()
        defer { stream.close() }
        try await stream.write(Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8))
        var reply: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty, reply.count < 4096 { reply += bytes }
        guard String(decoding: reply.prefix(16), as: UTF8.self).hasPrefix("HTTP/1.1 200") else {
            throw ExitCode(1)
        }
    }

    /// Trusts the gateway's own certificate, whatever name it carries: the
    /// check dials an address, and only asks whether the process serves.
    private func httpsCheck(host: String, port: Int, certificate: String) async throws {
        var request = OutgoingRequest(url: "https://\(host.contains(":") ? "[\(host)]" : host):\(port)/healthz")
        request.tls = TLSClientOptions(caFile: certificate, verifyHostName: false,
                                       certificateFile: healthcheckCert ?? Environment.value("healthcheck-cert"),
                                       keyFile: healthcheckKey ?? Environment.value("healthcheck-key"))
        var limits = FetchLimits()
        limits.connectTimeout = .seconds(2)
        limits.totalTimeout = .seconds(3)
        let transfer = try Transfer(request: request, limits: limits)
        transfer.start()
        let head = await transfer.head()
        transfer.cancel()
        guard head.status == 200 else {
            FileHandleOutput.standardError("healthcheck: \(head.failure ?? "HTTP \(head.status ?? 0)")\n")
            throw ExitCode(1)
        }
    }
}
