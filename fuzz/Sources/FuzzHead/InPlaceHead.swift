import HTTPHead

/// A request head as libmicrohttpd 0.9.75 hands it to the server, modelled
/// on its parser: lines end in CRLF or a bare LF, each line end becomes
/// NULs in place, the request line's first space and the space before the
/// version become NULs, a header line's first colon (found as `strchr`
/// does, so not past a NUL) becomes a NUL, the name and the value (after
/// leading spaces and tabs) are reported up to their first NUL, and a line
/// that starts with a space or a tab (obs-fold) is glued to the previous
/// header's name in a copy outside the head. Nil for what libmicrohttpd
/// answers itself or never hands over: an incomplete head, a request line
/// without a target or with a version other than `HTTP/1.x`, a header line
/// without a colon.
struct InPlaceHead {
    /// The head after parsing, from the method's first byte to the end of the blank line.
    var bytes: [UInt8]
    /// The bytes as sent, over the same range.
    let sent: ArraySlice<UInt8>
    /// The method as sent (up to the first space) and as reported (up to its first NUL).
    let sentMethod: ArraySlice<UInt8>
    let method: ArraySlice<UInt8>
    /// Where the target starts, as the URI logger sees it.
    let targetAt: Int
    let target: [UInt8]
    let version: String
    let versionFollows: Bool
    /// The header lines as sent, without their line ends.
    let lines: [ArraySlice<UInt8>]
    var fields: [HeadLayout.Field] = []
    var headers: [FramingCheck.RawHeader] = []

    init?(_ input: [UInt8]) {
        // Lines: (content, index after the line end); the head ends at the first empty line after the request line.
        var found: [(content: Range<Int>, end: Int)] = []
        var start = 0
        for i in input.indices where input[i] == 0x0A {
            let crlf = i > start && input[i - 1] == 0x0D
            found.append((start..<(crlf ? i - 1 : i), i + 1))
            start = i + 1
            if found.count > 1, found.last!.content.isEmpty { break }
        }
        guard found.count > 1, found.last!.content.isEmpty, !found[0].content.isEmpty else { return nil }
        let headEnd = found.last!.end
        sent = input[..<headEnd]
        bytes = Array(sent)
        for line in found {
            for i in line.content.upperBound..<line.end { bytes[i] = 0 }
        }

        // The request line: method, spaces, target, the last space, version.
        let requestLine = found[0].content
        guard let firstSpace = bytes[requestLine].firstIndex(of: 0x20) else { return nil }
        var uri = firstSpace + 1
        while uri < requestLine.upperBound, bytes[uri] == 0x20 { uri += 1 }
        guard uri < requestLine.upperBound, let lastSpace = bytes[uri..<requestLine.upperBound].lastIndex(of: 0x20) else { return nil }
        let sentVersion = Array(input[(lastSpace + 1)..<requestLine.upperBound])
        guard sentVersion.count == 8, sentVersion.starts(with: Array("HTTP/1.".utf8)), (0x30...0x39).contains(sentVersion[7]) else {
            return nil
        }
        bytes[firstSpace] = 0
        bytes[lastSpace] = 0
        sentMethod = input[..<firstSpace]
        method = bytes[..<(bytes.firstIndex(of: 0) ?? firstSpace)]
        targetAt = uri
        target = Array(Self.cString(bytes, at: uri))
        version = String(decoding: Self.cString(bytes, at: lastSpace + 1), as: UTF8.self)
        versionFollows = lastSpace + 1 == uri + target.count + 1

        // The header lines.
        lines = found.dropFirst().dropLast().map { input[$0.content] }
        for line in found.dropFirst().dropLast() {
            let content = line.content
            if let first = bytes[content].first, first == 0x20 || first == 0x09, !fields.isEmpty {
                // obs-fold: the rest of the line, past its spaces, joins the previous name in a copy.
                let rest = bytes[content].drop { $0 == 0x20 || $0 == 0x09 }
                let glued = Self.cString(bytes, at: rest.startIndex)
                let last = fields.removeLast()
                fields.append(HeadLayout.Field(name: bytes.count + 64, nameCount: last.nameCount + glued.count,
                                               value: last.value, valueCount: last.valueCount))
                headers[headers.count - 1].name += glued
                continue
            }
            guard let colon = bytes[content].prefix(while: { $0 != 0 }).firstIndex(of: 0x3A) else { return nil }
            bytes[colon] = 0
            var value = colon + 1
            while value < content.upperBound, bytes[value] == 0x20 || bytes[value] == 0x09 { value += 1 }
            let reported = Self.cString(bytes, at: value)
            fields.append(HeadLayout.Field(name: content.lowerBound, nameCount: colon - content.lowerBound,
                                           value: value, valueCount: reported.count))
            headers.append((Array(bytes[content.lowerBound..<colon]), Array(reported)))
        }
    }

    /// The bytes from `at` up to the next NUL (every line ends in one).
    private static func cString(_ bytes: [UInt8], at: Int) -> ArraySlice<UInt8> {
        let rest = bytes[at...]
        return rest[..<(rest.firstIndex(of: 0) ?? rest.endIndex)]
    }
}
