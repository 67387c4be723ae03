import CMicroHTTPD
import EventLoops
import Locking

/// The HTTPS credentials of every daemon, and their reloading: each new
/// connection is switched to the current credentials before its handshake
/// and holds them until it closes, so a reload changes what new
/// connections get and leaves open ones as they are.
public final class TLSContext: Sendable {
    let settings: TLSSettings
    private let current: Locked<TLSCredentials>

    public init(_ settings: TLSSettings) throws {
        var errorAt = 0
        let r = wrpc_tls_priorities_check(settings.priorities, &errorAt)
        guard r == 0 else {
            let at = settings.priorities.utf8.dropFirst(errorAt)
            throw GatewaySetupError("--tls-priorities: GnuTLS refuses `\(String(decoding: at, as: UTF8.self))`: \(String(cString: wrpc_tls_error(r)))")
        }
        if let age = settings.hstsMaxAge, age < 0 { throw GatewaySetupError("--hsts-max-age must not be negative") }
        self.settings = settings
        current = Locked(try TLSCredentials(settings))
    }

    var credentials: TLSCredentials { current.withLock { $0 } }

    /// Reads the files again; on any error the credentials in use stay.
    public func reload() throws {
        let fresh = try TLSCredentials(settings)
        current.withLock { $0 = fresh }
    }

    /// A connection was accepted (its handshake has not begun).
    func connectionStarted(_ connection: OpaquePointer, _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let session = wrpc_mhd_tls_session(connection) else { return }
        let credentials = self.credentials
        _ = wrpc_tls_session_use(session, credentials.handle, credentials.requiresClientCertificate ? 1 : 0)
        slot.pointee = Unmanaged.passRetained(credentials).toOpaque()
    }

    /// A connection closed. libmicrohttpd ends its TLS session right after
    /// this call, so its credentials are let go on the loop's next pass.
    func connectionClosed(_ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>, loop: EventLoop) {
        guard let raw = slot.pointee else { return }
        slot.pointee = nil
        let credentials = Unmanaged<TLSCredentials>.fromOpaque(raw)
        loop.execute { credentials.release() }
    }
}
