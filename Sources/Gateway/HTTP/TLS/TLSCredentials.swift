import CMicroHTTPD
import Foundation

/// One loading of the TLS files: GnuTLS credentials that connections
/// accepted while it is current use, and keep until they close.
final class TLSCredentials: @unchecked Sendable {
    // @unchecked: `handle` is never changed after the init, and GnuTLS
    // allows credentials to be shared by sessions on any thread.
    let handle: OpaquePointer
    let requiresClientCertificate: Bool
    /// The PEM text libmicrohttpd checks when a daemon starts.
    let certificatePEM: [CChar]
    let keyPEM: [CChar]

    init(_ settings: TLSSettings) throws {
        let certificate = try Self.read(settings.certificateFile, "--tls-cert")
        let key = try Self.read(settings.keyFile, "--tls-key")
        let ca = try settings.clientCAFile.map { try Self.read($0, "--tls-client-ca") }
        var handle: OpaquePointer?
        let r = certificate.withUnsafeBufferPointer { c in
            key.withUnsafeBufferPointer { k in
                if let ca {
                    return ca.withUnsafeBufferPointer { a in
                        wrpc_tls_credentials(c.baseAddress, c.count - 1, k.baseAddress, k.count - 1, a.baseAddress, a.count - 1, &handle)
                    }
                }
                return wrpc_tls_credentials(c.baseAddress, c.count - 1, k.baseAddress, k.count - 1, nil, 0, &handle)
            }
        }
        guard r == 0, let handle else {
            let reason = String(cString: wrpc_tls_error(r))
            let files = [settings.certificateFile, settings.keyFile] + (settings.clientCAFile.map { [$0] } ?? [])
            throw GatewaySetupError("TLS: \(files.joined(separator: ", ")) cannot be used: \(reason)")
        }
        self.handle = handle
        requiresClientCertificate = ca != nil
        certificatePEM = certificate
        keyPEM = key
    }

    deinit {
        gnutls_certificate_free_credentials(handle)
    }

    /// A file's text, NUL-terminated.
    private static func read(_ path: String, _ flag: String) throws -> [CChar] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewaySetupError("\(flag) \(path): cannot read the file")
        }
        guard !data.contains(0) else { throw GatewaySetupError("\(flag) \(path): not a PEM file") }
        return data.map { CChar(bitPattern: $0) } + [0]
    }
}
