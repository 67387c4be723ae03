/// What libmicrohttpd hides of a request head, read back from the head
/// itself. libmicrohttpd 0.9.75 parses the head in place (it overwrites the
/// request line's spaces, each colon after a name, and each CR and LF with
/// a NUL) and reports every value up to its first NUL, so `X-A: a\0b` and
/// `Content-Length: 4\099` reach the server as `a` and `4`. A folded line
/// (obs-fold) is glued to the header's *name* in a copy outside the head,
/// so `Transfer-Encoding:\r\n chunked` becomes a header with an unknown
/// name and the request is framed by its `Content-Length`. Both leave a
/// trace: the fields no longer tile the head. Walking the head from the
/// first name, each field must be its name, the colon's NUL, optional
/// spaces, its value, then one or two NULs (its line end) and the next
/// name; the last field's line end and the blank line must end the head
/// exactly. Anything else is refused: a name outside the head is an
/// obs-fold (RFC 9112 §5.2), other bytes are a NUL inside a value.
///
/// What stays unseen: NULs that end a value where a line end with CRs
/// would have left as many NULs: `a\0\n` reads as `a\r\n`, and at the
/// head's end `a\0\n\n`, `a\0\0\n\n` or `a\0\r\n\n` as a CRLF line end
/// and blank line. They hide nothing after them: the value reported is
/// the value sent without its last NULs.
public enum HeadLayout {
    /// Where libmicrohttpd put a field, as offsets from the head's first
    /// byte (the method's). A name copied elsewhere may lie far outside.
    public struct Field: Sendable {
        public let name: Int
        public let nameCount: Int
        public let value: Int
        public let valueCount: Int

        public init(name: Int, nameCount: Int, value: Int, valueCount: Int) {
            self.name = name
            self.nameCount = nameCount
            self.value = value
            self.valueCount = valueCount
        }
    }

    /// Nil when `fields` tile `head`; else why the request is refused.
    public static func check(_ head: UnsafeRawBufferPointer, _ fields: [Field]) -> HeadRefusal? {
        guard let first = fields.first else { return nil }
        if fields.contains(where: { $0.name < 0 || $0.name >= head.count }) {
            return .malformed("a header line continued on the next line (obs-fold)")
        }
        var at = first.name
        for (i, field) in fields.enumerated() {
            let unknown = HeadRefusal.malformed("a header value holds a NUL byte")
            // The name where the previous line ended, then the colon's NUL.
            guard field.name == at, field.nameCount >= 0, field.name + field.nameCount < head.count,
                  head[field.name + field.nameCount] == 0 else { return unknown }
            at = field.name + field.nameCount + 1
            while at < head.count, head[at] == 0x20 || head[at] == 0x09 { at += 1 }
            guard field.value == at, field.valueCount >= 0, field.value + field.valueCount <= head.count else { return unknown }
            at += field.valueCount
            var nuls = 0
            while at < head.count, head[at] == 0 {
                nuls += 1
                at += 1
            }
            // A line ends in CRLF or LF; the last one is followed by the blank line.
            let isLast = i == fields.count - 1
            guard isLast ? (at == head.count && (2...4).contains(nuls)) : (1...2).contains(nuls) else { return unknown }
        }
        return nil
    }
}
