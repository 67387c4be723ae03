#if canImport(Glibc)
import Glibc
#endif

/// A request's target as libmicrohttpd received it, kept from its URI
/// logger (which runs before the headers are read) until the first call of
/// the access handler, where it becomes the `Exchange`.
final class RawTarget {
    /// The target's bytes up to the end of the request line's target, or up
    /// to a raw NUL in it.
    let bytes: [UInt8]
    /// Where the request line's version would start if `bytes` were the
    /// whole target: libmicrohttpd parses the line in place, ending the
    /// target with a NUL where the space was, and the version follows.
    let versionIfWhole: UnsafeRawPointer
    /// Where the target lies in the head libmicrohttpd parsed in place.
    let start: UnsafeRawPointer

    init(_ uri: UnsafePointer<CChar>) {
        start = UnsafeRawPointer(uri)
        let length = strlen(uri)
        bytes = Array(UnsafeRawBufferPointer(start: uri, count: length))
        versionIfWhole = UnsafeRawPointer(uri) + length + 1
    }

    /// The target as sent (percent-escapes and query kept), as text.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether `version` (the access handler's) starts right after the target.
    func versionFollows(_ version: UnsafePointer<CChar>?) -> Bool {
        version.map { UnsafeRawPointer($0) == versionIfWhole } ?? false
    }
}
