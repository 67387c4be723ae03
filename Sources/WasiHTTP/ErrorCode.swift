/// `wasi:http/types.error-code`: why an HTTP request failed, in the order
/// (and so with the case numbers) wasi:http 0.2.0 defines.
public enum ErrorCode: Sendable, Equatable, CustomStringConvertible {
    public struct DNSError: Sendable, Equatable {
        public var rcode: String?
        public var infoCode: UInt16?
        public init(rcode: String? = nil, infoCode: UInt16? = nil) {
            self.rcode = rcode
            self.infoCode = infoCode
        }
    }

    public struct TLSAlert: Sendable, Equatable {
        public var alertID: UInt8?
        public var alertMessage: String?
        public init(alertID: UInt8? = nil, alertMessage: String? = nil) {
            self.alertID = alertID
            self.alertMessage = alertMessage
        }
    }

    public struct FieldSize: Sendable, Equatable {
        public var fieldName: String?
        public var fieldSize: UInt32?
        public init(fieldName: String? = nil, fieldSize: UInt32? = nil) {
            self.fieldName = fieldName
            self.fieldSize = fieldSize
        }
    }

    case dnsTimeout
    case dnsError(DNSError)
    case destinationNotFound
    case destinationUnavailable
    case destinationIPProhibited
    case destinationIPUnroutable
    case connectionRefused
    case connectionTerminated
    case connectionTimeout
    case connectionReadTimeout
    case connectionWriteTimeout
    case connectionLimitReached
    case tlsProtocolError
    case tlsCertificateError
    case tlsAlertReceived(TLSAlert)
    case httpRequestDenied
    case httpRequestLengthRequired
    case httpRequestBodySize(UInt64?)
    case httpRequestMethodInvalid
    case httpRequestURIInvalid
    case httpRequestURITooLong
    case httpRequestHeaderSectionSize(UInt32?)
    case httpRequestHeaderSize(FieldSize?)
    case httpRequestTrailerSectionSize(UInt32?)
    case httpRequestTrailerSize(FieldSize)
    case httpResponseIncomplete
    case httpResponseHeaderSectionSize(UInt32?)
    case httpResponseHeaderSize(FieldSize)
    case httpResponseBodySize(UInt64?)
    case httpResponseTrailerSectionSize(UInt32?)
    case httpResponseTrailerSize(FieldSize)
    case httpResponseTransferCoding(String?)
    case httpResponseContentCoding(String?)
    case httpResponseTimeout
    case httpUpgradeFailed
    case httpProtocolError
    case loopDetected
    case configurationError
    case internalError(String?)

    /// The case's name as the WIT spells it.
    public var caseName: String {
        Self.names[index]
    }

    public var description: String {
        switch self {
        case .dnsError(let e): return "DNS-error(\(e.rcode ?? "")\(e.infoCode.map { " \($0)" } ?? ""))"
        case .internalError(let m?): return "internal-error(\(m))"
        case .httpResponseTransferCoding(let c?), .httpResponseContentCoding(let c?): return "\(caseName)(\(c))"
        default: return caseName
        }
    }

    static let names = [
        "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable", "destination-IP-prohibited",
        "destination-IP-unroutable", "connection-refused", "connection-terminated", "connection-timeout",
        "connection-read-timeout", "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
        "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied", "HTTP-request-length-required",
        "HTTP-request-body-size", "HTTP-request-method-invalid", "HTTP-request-URI-invalid", "HTTP-request-URI-too-long",
        "HTTP-request-header-section-size", "HTTP-request-header-size", "HTTP-request-trailer-section-size",
        "HTTP-request-trailer-size", "HTTP-response-incomplete", "HTTP-response-header-section-size",
        "HTTP-response-header-size", "HTTP-response-body-size", "HTTP-response-trailer-section-size",
        "HTTP-response-trailer-size", "HTTP-response-transfer-coding", "HTTP-response-content-coding",
        "HTTP-response-timeout", "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
        "internal-error",
    ]

    var index: Int {
        switch self {
        case .dnsTimeout: return 0
        case .dnsError: return 1
        case .destinationNotFound: return 2
        case .destinationUnavailable: return 3
        case .destinationIPProhibited: return 4
        case .destinationIPUnroutable: return 5
        case .connectionRefused: return 6
        case .connectionTerminated: return 7
        case .connectionTimeout: return 8
        case .connectionReadTimeout: return 9
        case .connectionWriteTimeout: return 10
        case .connectionLimitReached: return 11
        case .tlsProtocolError: return 12
        case .tlsCertificateError: return 13
        case .tlsAlertReceived: return 14
        case .httpRequestDenied: return 15
        case .httpRequestLengthRequired: return 16
        case .httpRequestBodySize: return 17
        case .httpRequestMethodInvalid: return 18
        case .httpRequestURIInvalid: return 19
        case .httpRequestURITooLong: return 20
        case .httpRequestHeaderSectionSize: return 21
        case .httpRequestHeaderSize: return 22
        case .httpRequestTrailerSectionSize: return 23
        case .httpRequestTrailerSize: return 24
        case .httpResponseIncomplete: return 25
        case .httpResponseHeaderSectionSize: return 26
        case .httpResponseHeaderSize: return 27
        case .httpResponseBodySize: return 28
        case .httpResponseTrailerSectionSize: return 29
        case .httpResponseTrailerSize: return 30
        case .httpResponseTransferCoding: return 31
        case .httpResponseContentCoding: return 32
        case .httpResponseTimeout: return 33
        case .httpUpgradeFailed: return 34
        case .httpProtocolError: return 35
        case .loopDetected: return 36
        case .configurationError: return 37
        case .internalError: return 38
        }
    }

    /// The case named `name` (as the WIT spells it), for cases without a payload.
    public static func simple(named name: String) -> ErrorCode? {
        guard let i = names.firstIndex(of: name) else { return nil }
        // Just the case number: a case with a payload needs more and is refused.
        var r = CMReader([UInt8(i)])
        return try? read(&r)
    }

    /// Whether the case is one of the timeouts (a gateway answers those 504).
    public var isTimeout: Bool {
        switch self {
        case .dnsTimeout, .connectionTimeout, .connectionReadTimeout, .connectionWriteTimeout, .httpResponseTimeout: return true
        default: return false
        }
    }

    func write(_ w: inout CMWriter) {
        w.leb(UInt64(index))
        func fieldSize(_ w: inout CMWriter, _ f: FieldSize) {
            w.option(f.fieldName) { $0.string($1) }
            w.option(f.fieldSize) { $0.leb(UInt64($1)) }
        }
        switch self {
        case .dnsError(let e):
            w.option(e.rcode) { $0.string($1) }
            w.option(e.infoCode) { $0.leb(UInt64($1)) }
        case .tlsAlertReceived(let a):
            w.option(a.alertID) { $0.byte($1) }
            w.option(a.alertMessage) { $0.string($1) }
        case .httpRequestBodySize(let n), .httpResponseBodySize(let n):
            w.option(n) { $0.leb($1) }
        case .httpRequestHeaderSectionSize(let n), .httpRequestTrailerSectionSize(let n),
             .httpResponseHeaderSectionSize(let n), .httpResponseTrailerSectionSize(let n):
            w.option(n) { $0.leb(UInt64($1)) }
        case .httpRequestHeaderSize(let f):
            w.option(f) { fieldSize(&$0, $1) }
        case .httpRequestTrailerSize(let f), .httpResponseHeaderSize(let f), .httpResponseTrailerSize(let f):
            fieldSize(&w, f)
        case .httpResponseTransferCoding(let s), .httpResponseContentCoding(let s), .internalError(let s):
            w.option(s) { $0.string($1) }
        default:
            break
        }
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> ErrorCode {
        func fieldSize(_ r: inout CMReader) throws(CMReader.Failure) -> FieldSize {
            FieldSize(fieldName: try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: 1 << 16) },
                      fieldSize: try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.u32() })
        }
        func optionalString(_ r: inout CMReader) throws(CMReader.Failure) -> String? {
            try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: 1 << 16) }
        }
        func optionalU32(_ r: inout CMReader) throws(CMReader.Failure) -> UInt32? {
            try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.u32() }
        }
        func optionalU64(_ r: inout CMReader) throws(CMReader.Failure) -> UInt64? {
            try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.u64() }
        }
        switch try r.u32() {
        case 0: return .dnsTimeout
        case 1:
            return .dnsError(DNSError(rcode: try optionalString(&r),
                                      infoCode: try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.u16() }))
        case 2: return .destinationNotFound
        case 3: return .destinationUnavailable
        case 4: return .destinationIPProhibited
        case 5: return .destinationIPUnroutable
        case 6: return .connectionRefused
        case 7: return .connectionTerminated
        case 8: return .connectionTimeout
        case 9: return .connectionReadTimeout
        case 10: return .connectionWriteTimeout
        case 11: return .connectionLimitReached
        case 12: return .tlsProtocolError
        case 13: return .tlsCertificateError
        case 14:
            return .tlsAlertReceived(TLSAlert(alertID: try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.byte() },
                                              alertMessage: try optionalString(&r)))
        case 15: return .httpRequestDenied
        case 16: return .httpRequestLengthRequired
        case 17: return .httpRequestBodySize(try optionalU64(&r))
        case 18: return .httpRequestMethodInvalid
        case 19: return .httpRequestURIInvalid
        case 20: return .httpRequestURITooLong
        case 21: return .httpRequestHeaderSectionSize(try optionalU32(&r))
        case 22: return .httpRequestHeaderSize(try r.option { (r: inout CMReader) throws(CMReader.Failure) in try fieldSize(&r) })
        case 23: return .httpRequestTrailerSectionSize(try optionalU32(&r))
        case 24: return .httpRequestTrailerSize(try fieldSize(&r))
        case 25: return .httpResponseIncomplete
        case 26: return .httpResponseHeaderSectionSize(try optionalU32(&r))
        case 27: return .httpResponseHeaderSize(try fieldSize(&r))
        case 28: return .httpResponseBodySize(try optionalU64(&r))
        case 29: return .httpResponseTrailerSectionSize(try optionalU32(&r))
        case 30: return .httpResponseTrailerSize(try fieldSize(&r))
        case 31: return .httpResponseTransferCoding(try optionalString(&r))
        case 32: return .httpResponseContentCoding(try optionalString(&r))
        case 33: return .httpResponseTimeout
        case 34: return .httpUpgradeFailed
        case 35: return .httpProtocolError
        case 36: return .loopDetected
        case 37: return .configurationError
        case 38: return .internalError(try optionalString(&r))
        case let t: throw .malformed("error-code case \(t)")
        }
    }
}
