/// Every rule a request head must pass before anything reads it, in the
/// order the server applies them: the method is a token and the whole of
/// the request line's first word, the fields tile
/// the head (`HeadLayout`), Host is present once and valid (`HostHeader`),
/// the framing is unambiguous and no field value holds a control byte
/// (`FramingCheck`). One function, so that the server and the fuzz target
/// check the same things in the same order.
public enum HeadRules {
    /// The body's declared length (as `FramingCheck.bodyLength`), or why
    /// the head is refused. `head` is the head as libmicrohttpd left it
    /// after parsing it in place, from the method's first byte (nil when
    /// its size is unknown); `targetAt` is where in it the target starts
    /// (nil when unknown); `fields` says where it put each header, and
    /// `headers` holds their bytes as it reported them.
    public static func check(method: some Collection<UInt8>, targetAt: Int?, version: String, head: UnsafeRawBufferPointer?,
                             fields: [HeadLayout.Field], headers: [FramingCheck.RawHeader]) -> Result<UInt64?, HeadRefusal> {
        // RFC 9110 §9.1: a method is a token.
        guard HTTPToken.isToken(method) else {
            return .failure(.malformed("the method `\(FramingCheck.printable(method))` is not a token"))
        }
        if let head, let targetAt, !methodEndsAtItsSpace(head, method.count, targetAt) {
            return .failure(.malformed("the method `\(FramingCheck.printable(method))` is followed by a NUL byte"))
        }
        if let refusal = layout(head, fields) ?? HostHeader.check(headers, version: version) {
            return .failure(refusal)
        }
        return FramingCheck.bodyLength(headers)
    }

    /// libmicrohttpd reports the method up to its first NUL, so `GE\0X`
    /// reads as `GE`. Between the method it reported and the target lies
    /// only the NUL it wrote over the first space, then the spaces it
    /// skipped; a NUL that came in the method leaves other bytes there.
    private static func methodEndsAtItsSpace(_ head: UnsafeRawBufferPointer, _ count: Int, _ targetAt: Int) -> Bool {
        guard count < targetAt, targetAt <= head.count, head[count] == 0 else { return false }
        return head[(count + 1)..<targetAt].allSatisfy { $0 == 0x20 }
    }

    private static func layout(_ head: UnsafeRawBufferPointer?, _ fields: [HeadLayout.Field]) -> HeadRefusal? {
        guard let head, head.count > 0 else { return fields.isEmpty ? nil : .malformed("the request head could not be checked") }
        return HeadLayout.check(head, fields)
    }
}
