/// RFC 9110 §5.5: a field value is visible ASCII, spaces, HTAB and bytes
/// from 0x80 (obs-text); no other control byte. One that holds one (NUL,
/// CR, LF, `\x01`, `\x0b`, DEL, …) is refused coming in, and dropped on
/// the way out, where a recipient could read it as the end of the line or
/// of the value.
public enum FieldValue {
    public static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    /// The first control byte of `value`, if any.
    public static func firstControl(_ value: some Sequence<UInt8>) -> UInt8? {
        value.first(where: isControl)
    }

    /// `pairs` without the fields whose value holds a control byte, and how many those were.
    public static func droppingControls(_ pairs: [(String, [UInt8])]) -> (kept: [(String, [UInt8])], dropped: Int) {
        let kept = pairs.filter { firstControl($0.1) == nil }
        return (kept, pairs.count - kept.count)
    }
}
