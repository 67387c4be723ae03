import HTTPHead
import Testing

/// `HeadLayout` on heads laid out as libmicrohttpd 0.9.75 leaves them
/// after parsing in place (request-line spaces, colons, CR and LF as NULs;
/// each value reported from its first byte that is not a space or a tab,
/// up to its first NUL), with a NUL put at every
/// position of every value in turn.
@Suite struct HeadLayoutTests {
    /// The parsed head and its fields for `lines` (name, value as sent).
    static func parsed(_ lines: [(String, [UInt8])], lineEnd: [UInt8] = [0, 0]) -> ([UInt8], [HeadLayout.Field]) {
        var head = Array("GET\0/\0HTTP/1.1".utf8) + lineEnd
        var fields: [HeadLayout.Field] = []
        for (name, value) in lines {
            let nameAt = head.count
            head += Array(name.utf8) + [0, 0x20]
            let valueAt = head.count
            head += value + lineEnd
            // Leading spaces and tabs are skipped; the value ends at its first NUL.
            let skipped = value.prefix { $0 == 0x20 || $0 == 0x09 }.count
            let end = value.firstIndex(of: 0) ?? value.count
            fields.append(HeadLayout.Field(name: nameAt, nameCount: name.utf8.count, value: valueAt + skipped,
                                           valueCount: max(0, end - skipped)))
        }
        return (head + lineEnd, fields)
    }

    static func check(_ head: [UInt8], _ fields: [HeadLayout.Field]) -> HeadRefusal? {
        head.withUnsafeBytes { HeadLayout.check($0, fields) }
    }

    static let lines: [(String, [UInt8])] = [("Host", Array("a".utf8)), ("X-A", Array("one two".utf8)),
                                             ("Content-Length", Array("12".utf8)), ("X-Z", Array("last".utf8))]

    @Test func plainHeadsTile() {
        for lineEnd: [UInt8] in [[0, 0], [0]] {
            let (head, fields) = Self.parsed(Self.lines, lineEnd: lineEnd)
            #expect(Self.check(head, fields) == nil)
        }
        let empty = Self.parsed([("Host", []), ("X-C", Array("  ".utf8))])
        #expect(Self.check(empty.0, empty.1) == nil)
    }

    @Test func aNULAnywhereInAValueIsFound() {
        for (i, line) in Self.lines.enumerated() {
            for at in 0...line.1.count {
                var lines = Self.lines
                lines[i].1.insert(0, at: at)
                let (head, fields) = Self.parsed(lines)
                #expect(Self.check(head, fields) != nil, "NUL at \(at) of \(line.0)")
            }
        }
    }

    @Test func aNameOutsideTheHeadIsAFold() {
        var (head, fields) = Self.parsed(Self.lines)
        let folded = fields[1]
        fields[1] = HeadLayout.Field(name: head.count + 4096, nameCount: folded.nameCount + 6, value: folded.value, valueCount: folded.valueCount)
        guard case .malformed(let message)? = Self.check(head, fields) else { Issue.record("not refused"); return }
        #expect(message.contains("obs-fold"))
        fields[1] = HeadLayout.Field(name: -64, nameCount: folded.nameCount, value: folded.value, valueCount: folded.valueCount)
        #expect(Self.check(head, fields) != nil)
        head.removeAll()
        #expect(Self.check(head, fields) != nil)
    }
}
