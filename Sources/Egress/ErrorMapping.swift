import CurlClient
import WasiHTTP

extension ErrorCode {
    /// What a failed transfer tells a wasi:http caller.
    init(_ failure: TransferFailure, message: String) {
        switch failure {
        case .couldNotResolve: self = .dnsError(.init(rcode: "NXDOMAIN", infoCode: nil))
        case .couldNotConnect: self = .connectionRefused
        case .timedOut: self = .connectionTimeout
        case .tls(let certificate): self = certificate ? .tlsCertificateError : .tlsProtocolError
        case .sendFailed: self = .connectionTerminated
        case .receiveFailed: self = .httpResponseIncomplete
        case .tooLarge: self = .httpResponseBodySize(nil)
        case .badHeader(let name): self = .httpRequestHeaderSize(.init(fieldName: name, fieldSize: nil))
        case .internalAddress: self = .httpRequestDenied
        case .cancelled: self = .internalError(message)
        case .other: self = .internalError(message)
        }
    }
}
