/// HTTPS (`--tls-cert`, `--tls-key`, `--tls-client-ca`): PEM files read at
/// start and again on each reload; what connections may negotiate
/// (`--tls-priorities`) and whether answers ask browsers to keep to HTTPS
/// (`--hsts-max-age`).
public struct TLSSettings: Sendable {
    /// The certificate chain, leaf first.
    public var certificateFile: String
    public var keyFile: String
    /// Authorities client certificates must chain to; when set, every
    /// client must present one (mutual TLS).
    public var clientCAFile: String?
    /// A GnuTLS priority string: the versions, key exchanges and ciphers
    /// handshakes may use.
    public var priorities = TLSSettings.defaultPriorities
    /// `Strict-Transport-Security: max-age=N` on every answer, when set.
    public var hstsMaxAge: Int?

    /// TLS 1.3 and 1.2 with forward-secret key exchanges and AEAD ciphers
    /// only (Mozilla's "intermediate" profile): no RSA key transport, no
    /// CBC, no SHA-1 MACs.
    public static let defaultPriorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
        + ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA"
        + ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"

    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// The headers HTTPS answers carry for these settings.
    var headers: [(String, String)] {
        hstsMaxAge.map { [("Strict-Transport-Security", "max-age=\($0)")] } ?? []
    }
}
