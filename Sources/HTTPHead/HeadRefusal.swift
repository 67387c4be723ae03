/// Why a request head is refused. The server answers `malformed` with 400
/// and `unsupportedTransferCoding` with 501, and closes the connection.
public enum HeadRefusal: Error, Sendable, Equatable {
    case malformed(String)
    case unsupportedTransferCoding(String)
}
