import DemoBackend
import WRPCTransport

enum DemoBackendServer {
    static func make() throws -> WRPCServer { try DemoBackend.server() }
}
