/// HTTPS (`--tls-cert`, `--tls-key`, `--tls-client-ca`): PEM files read at
/// start and again on each reload.
public struct TLSSettings: Sendable {
    /// The certificate chain, leaf first.
    public var certificateFile: String
    public var keyFile: String
    /// Authorities client certificates must chain to; when set, every
    /// client must present one (mutual TLS).
    public var clientCAFile: String?

    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }
}
