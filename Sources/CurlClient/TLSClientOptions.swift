/// How a `Transfer` checks an https server, and what it shows it.
public struct TLSClientOptions: Sendable {
    /// Authorities (PEM) to trust instead of the system's; a server's own
    /// certificate will do (libcurl accepts a partial chain).
    public var caFile: String?
    /// Whether the certificate must name the host of the URL.
    public var verifyHostName = true
    /// A client certificate and its key (PEM), for servers that ask for one.
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, verifyHostName: Bool = true, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.verifyHostName = verifyHostName
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
