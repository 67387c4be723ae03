import WRPCTransport

/// The system's resolver (getaddrinfo: /etc/hosts, then DNS): every A and
/// AAAA record, as a Kubernetes headless Service answers with one per pod.
public struct SystemResolver: HostResolver {
    public init() {}

    public func addresses(of host: String, port: Int) async throws -> [String] {
        // getaddrinfo blocks: never on an event loop.
        try await withTaskExecutorPreference(globalConcurrentExecutor) {
            var seen: Set<String> = []
            return try SocketAddress.tcp(host: host, port: port).compactMap(\.numericHost).filter { seen.insert($0).inserted }
        }
    }
}
