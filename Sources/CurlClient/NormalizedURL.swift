import HTTPHead

/// An absolute http or https URL in the one form that is both checked
/// against an allowlist and fetched (RFC 3986 §6.2.2–6.2.3): the scheme in
/// lower case, percent-encoded unreserved characters decoded (`%2e` is
/// `.`), the hex digits of the other percent-encodings in upper case, dot
/// segments removed (§5.2.4), an empty path as `/`, no fragment. `Transfer`
/// tells libcurl to send the path as it is, so the origin is asked for
/// exactly what was checked.
///
/// Dot segments are resolved rather than refused: `/a/./b` and `/a/x/../b`
/// are plain equivalents of `/a/b`, and every origin that follows RFC 3986
/// serves them as that, so checking the resolved path checks what will be
/// served, and a client that sends them still gets its answer. What RFC
/// 3986 does not make a dot segment but some origins resolve as one is
/// refused instead, because neither reading is right for every origin: a
/// `.` or `..` delimited by an encoded slash (`%2F`) or backslash (`%5C`),
/// or followed by `;` parameters (`/..;/`). Raw backslashes, spaces,
/// control bytes and non-ASCII bytes are no part of a URI and are refused,
/// and so is user information in the authority.
public struct NormalizedURL: Sendable, Hashable, CustomStringConvertible {
    /// The URL as it is checked and fetched.
    public let text: String
    public var description: String { text }

    /// Why a URL cannot be fetched as it was written.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(_ url: String) throws(Invalid) {
        let bytes = Array(url.utf8)
        guard !bytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: "\\") }) else {
            throw Invalid(message: "not a URL (it holds a space, a control byte, a backslash or a non-ASCII byte): \(url)")
        }
        guard let separator = bytes.indices.first(where: { bytes[$0...].starts(with: Self.schemeEnd) }) else {
            throw Invalid(message: "not an absolute URL: \(url)")
        }
        let scheme = String(decoding: bytes[..<separator], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { throw Invalid(message: "only http and https URLs can be fetched: \(url)") }
        let rest = bytes[(separator + Self.schemeEnd.count)...]
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        guard authorityEnd > rest.startIndex else { throw Invalid(message: "no host in \(url)") }
        // `https://allowed.example@elsewhere/` connects to `elsewhere`; RFC
        // 9110 §4.2.4 has http(s) URLs carry no user information at all.
        guard !rest[..<authorityEnd].contains(UInt8(ascii: "@")) else {
            throw Invalid(message: "user information (`…@`) in an http(s) URL is not fetched: \(url)")
        }
        let pathEnd = rest[authorityEnd...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let queryEnd = rest[pathEnd...].firstIndex(of: UInt8(ascii: "#")) ?? rest.endIndex
        guard let decoded = Self.decodeUnreserved(rest[authorityEnd..<pathEnd]) else {
            throw Invalid(message: "a `%` in the path of \(url) is not followed by two hex digits")
        }
        let path = Self.removeDotSegments(decoded.isEmpty ? [UInt8(ascii: "/")] : decoded)
        guard !Self.hasAmbiguousDotSegment(path) else {
            throw Invalid(message: "the path of \(url) holds a `.` or `..` that origins resolve differently (next to %2F, %5C or `;`)")
        }
        text = scheme + "://" + String(decoding: Array(rest[..<authorityEnd]) + path + Array(rest[pathEnd..<queryEnd]), as: UTF8.self)
    }

    private static let schemeEnd = Array("://".utf8)

    /// Percent-encoded unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`,
    /// `~`) decoded, the rest with upper-case hex; nil for a `%` without two
    /// hex digits after it.
    static func decodeUnreserved(_ path: ArraySlice<UInt8>) -> [UInt8]? {
        let bytes = Array(path)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else { return nil }
            let byte = high << 4 | low
            if URIBytes.isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), upperHex(high), upperHex(low)]
            }
            i += 3
        }
        return out
    }

    /// RFC 3986 §5.2.4 on an absolute path: `.` segments dropped, each `..`
    /// dropping the segment before it (never above the root); a `.` or `..`
    /// at the end leaves the path ending in `/`.
    static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        var out: [ArraySlice<UInt8>] = []
        for (i, segment) in zip(segments.indices, segments) {
            switch segment.count {
            case 1 where segment.first == UInt8(ascii: "."): break
            case 2 where segment.allSatisfy({ $0 == UInt8(ascii: ".") }): if !out.isEmpty { out.removeLast() }
            default:
                out.append(segment)
                continue
            }
            if i == segments.index(before: segments.endIndex) { out.append([]) }
        }
        return Array(out.map { [UInt8(ascii: "/")] + $0 }.joined())
    }

    /// Whether a piece of the path between `/`, `%2F` and `%5C`, up to a
    /// `;`, is `.` or `..` (only the encoded slashes and the parameters can
    /// leave one after §5.2.4).
    static func hasAmbiguousDotSegment(_ path: [UInt8]) -> Bool {
        var start = 0
        var i = 0
        while i <= path.count {
            let width: Int
            if i == path.count || path[i] == UInt8(ascii: "/") {
                width = 1
            } else if path[i] == UInt8(ascii: "%"), i + 2 < path.count,
                      (path[i + 1] == UInt8(ascii: "2") && path[i + 2] == UInt8(ascii: "F"))
                        || (path[i + 1] == UInt8(ascii: "5") && path[i + 2] == UInt8(ascii: "C")) {
                width = 3
            } else {
                i += 1
                continue
            }
            let name = path[start..<i].prefix { $0 != UInt8(ascii: ";") }
            if !name.isEmpty && name.count <= 2 && name.allSatisfy({ $0 == UInt8(ascii: ".") }) { return true }
            i += width
            start = i
        }
        return false
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func upperHex(_ n: UInt8) -> UInt8 {
        n < 10 ? UInt8(ascii: "0") + n : UInt8(ascii: "A") + n - 10
    }
}
