#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull reader over JSON text (RFC 8259) that never converts numbers
/// through a Double: a number is handed over as its text, so 64-bit integers
/// stay exact. Strings are validated (escapes, no lone surrogates, UTF-8).
struct JSONReader {
    enum Kind {
        case object, array, string, number, bool, null
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    /// How deeply `skipValue` may nest; transcoding nests only as deep as its type.
    static let maxSkipDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func syntax(_ message: String, at offset: Int? = nil) -> ValueError {
        ValueError(.malformedJSON, "malformed JSON at byte \(offset ?? pos): \(message)", offset: offset ?? pos)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    /// The kind of the next value, after whitespace.
    mutating func peekKind() throws(ValueError) -> Kind {
        skipWhitespace()
        guard pos < bytes.count else { throw syntax("unexpected end of input, expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw syntax("unexpected character \(Self.describe(bytes[pos])), expected a value")
        }
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "`\(Character(UnicodeScalar(byte)))`" }
        return "0x" + String(byte, radix: 16)
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws(ValueError) {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == byte else {
            if pos >= bytes.count { throw syntax("unexpected end of input, expected \(what)") }
            throw syntax("expected \(what), found \(Self.describe(bytes[pos]))")
        }
        pos += 1
    }

    /// After `{` or `,` inside an object: true when the next member exists.
    mutating func beginObject() throws(ValueError) -> Bool {
        try expect(UInt8(ascii: "{"), "`{`")
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return false
        }
        return true
    }

    /// After a member value: true when another member follows.
    mutating func nextMember() throws(ValueError) -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw syntax("unexpected end of input inside an object") }
        switch bytes[pos] {
        case UInt8(ascii: ","): pos += 1; return true
        case UInt8(ascii: "}"): pos += 1; return false
        default: throw syntax("expected `,` or `}` in an object, found \(Self.describe(bytes[pos]))")
        }
    }

    mutating func beginArray() throws(ValueError) -> Bool {
        try expect(UInt8(ascii: "["), "`[`")
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return false
        }
        return true
    }

    mutating func nextElement() throws(ValueError) -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw syntax("unexpected end of input inside an array") }
        switch bytes[pos] {
        case UInt8(ascii: ","): pos += 1; return true
        case UInt8(ascii: "]"): pos += 1; return false
        default: throw syntax("expected `,` or `]` in an array, found \(Self.describe(bytes[pos]))")
        }
    }

    /// With `pos` on an opening quote: the index of the first `"` after it,
    /// found with memchr. (Escapes are not interpreted: callers use this
    /// only for text that must not contain any.)
    func closingQuote() -> Int? {
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\""), let base = bytes.baseAddress else { return nil }
        let from = base + pos + 1
        guard let found = memchr(from, Int32(UInt8(ascii: "\"")), bytes.count - pos - 1) else { return nil }
        return pos + 1 + (UnsafeRawPointer(found) - UnsafeRawPointer(from))
    }

    /// Reads a member name and the `:` after it.
    mutating func memberName() throws(ValueError) -> String {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
            throw syntax("expected a member name in double quotes")
        }
        var scratch: [UInt8] = []
        let name = try readString(into: &scratch)
        try expect(UInt8(ascii: ":"), "`:` after a member name")
        return name
    }

    /// Appends the string's UTF-8 bytes to `out`; returns the number appended.
    @discardableResult
    mutating func readStringBytes(into out: inout [UInt8]) throws(ValueError) -> Int {
        try expect(UInt8(ascii: "\""), "a string")
        let start = pos
        // Fast path: a run without escapes is copied as it is once validated.
        var runStart = pos
        var appended = 0
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                try appendValidatedUTF8(from: runStart, to: pos, into: &out)
                appended += pos - runStart
                pos += 1
                return appended
            }
            if b == UInt8(ascii: "\\") {
                try appendValidatedUTF8(from: runStart, to: pos, into: &out)
                appended += pos - runStart
                appended += try readEscape(into: &out)
                runStart = pos
                continue
            }
            if b < 0x20 { throw syntax("control character 0x\(String(b, radix: 16)) must be escaped in a string") }
            pos += 1
        }
        throw syntax("unterminated string", at: start - 1)
    }

    mutating func readString(into scratch: inout [UInt8]) throws(ValueError) -> String {
        scratch.removeAll(keepingCapacity: true)
        try readStringBytes(into: &scratch)
        return String(decoding: scratch, as: UTF8.self)
    }

    private func appendValidatedUTF8(from start: Int, to end: Int, into out: inout [UInt8]) throws(ValueError) {
        guard start < end else { return }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if let bad = firstInvalidUTF8(slice) { throw syntax("invalid UTF-8 in a string", at: start + bad) }
        out.append(contentsOf: slice)
    }

    private mutating func readEscape(into out: inout [UInt8]) throws(ValueError) -> Int {
        let at = pos
        pos += 1
        guard pos < bytes.count else { throw syntax("unterminated escape", at: at) }
        let c = bytes[pos]
        pos += 1
        let simple: UInt8?
        switch c {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw syntax("invalid escape `\\\(Character(UnicodeScalar(c)))`", at: at)
        }
        if let simple {
            out.append(simple)
            return 1
        }
        var scalar = try hex4(at: at)
        if scalar >= 0xD800 && scalar < 0xDC00 {
            // A high surrogate must be followed by an escaped low surrogate.
            guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                throw syntax("lone surrogate \\u\(String(scalar, radix: 16)) in a string", at: at)
            }
            pos += 2
            let low = try hex4(at: at)
            guard low >= 0xDC00 && low < 0xE000 else {
                throw syntax("lone surrogate \\u\(String(scalar, radix: 16)) in a string", at: at)
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00 && scalar < 0xE000 {
            throw syntax("lone surrogate \\u\(String(scalar, radix: 16)) in a string", at: at)
        }
        let before = out.count
        appendUTF8(scalar: scalar, into: &out)
        return out.count - before
    }

    private mutating func hex4(at escape: Int) throws(ValueError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw syntax("truncated \\u escape", at: escape) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw syntax("invalid hex digit in \\u escape", at: escape)
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    /// The text of a number, validated against the JSON grammar.
    mutating func readNumber() throws(ValueError) -> NumberText {
        skipWhitespace()
        let start = pos
        var negative = false
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        let intStart = pos
        guard pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") else {
            throw syntax("expected a digit", at: pos)
        }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                throw syntax("leading zeros are not allowed in numbers", at: intStart)
            }
        } else {
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
        }
        let intEnd = pos
        var fracStart = pos, fracEnd = pos
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            fracStart = pos
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            fracEnd = pos
            if fracStart == fracEnd { throw syntax("expected a digit after `.`", at: pos) }
        }
        var exponent = 0
        var hasExponent = false
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            hasExponent = true
            pos += 1
            var expNegative = false
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) {
                expNegative = bytes[pos] == UInt8(ascii: "-")
                pos += 1
            }
            let expStart = pos
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                // Saturate: an exponent this large is out of range for every type anyway.
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[pos] - UInt8(ascii: "0")) }
                pos += 1
            }
            if expStart == pos { throw syntax("expected a digit in the exponent", at: pos) }
            if expNegative { exponent = -exponent }
        }
        return NumberText(start: start, end: pos, negative: negative, intDigits: intStart..<intEnd,
                          fracDigits: fracStart..<fracEnd, exponent: exponent,
                          isInteger: fracStart == fracEnd && !hasExponent)
    }

    mutating func readBool() throws(ValueError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw syntax("expected `true` or `false`")
    }

    mutating func readNull() throws(ValueError) {
        skipWhitespace()
        guard matchLiteral("null") else { throw syntax("expected `null`") }
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard pos + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for i in 0..<n where bytes[pos + i] != p[i] { return false }
        pos += n
        return true
    }

    /// Skips one value of any kind, validating it, without recursion.
    mutating func skipValue() throws(ValueError) {
        var scratch: [UInt8] = []
        // Containers open so far; true for objects.
        var stack: [Bool] = []
        while true {
            let kind = try peekKind()
            switch kind {
            case .object:
                if try beginObject() {
                    if stack.count >= Self.maxSkipDepth { throw ValueError(.limitExceeded, "JSON nests deeper than \(Self.maxSkipDepth) levels", offset: pos) }
                    _ = try memberName()
                    stack.append(true)
                    continue
                }
            case .array:
                if try beginArray() {
                    if stack.count >= Self.maxSkipDepth { throw ValueError(.limitExceeded, "JSON nests deeper than \(Self.maxSkipDepth) levels", offset: pos) }
                    stack.append(false)
                    continue
                }
            case .string: _ = try readString(into: &scratch)
            case .number: _ = try readNumber()
            case .bool: _ = try readBool()
            case .null: try readNull()
            }
            // A value ended: close containers until one continues.
            while let isObject = stack.last {
                if isObject {
                    if try nextMember() {
                        _ = try memberName()
                        break
                    }
                } else if try nextElement() {
                    break
                }
                stack.removeLast()
            }
            if stack.isEmpty { return }
        }
    }

    /// Fails unless only whitespace remains.
    mutating func expectEnd() throws(ValueError) {
        skipWhitespace()
        if pos < bytes.count { throw syntax("unexpected \(Self.describe(bytes[pos])) after the JSON value") }
    }
}

/// The text of a JSON number, split into its parts for exact conversion.
struct NumberText {
    let start: Int
    let end: Int
    let negative: Bool
    let intDigits: Range<Int>
    let fracDigits: Range<Int>
    let exponent: Int
    /// No fraction and no exponent.
    let isInteger: Bool
}

@inline(__always)
func appendUTF8(scalar: UInt32, into out: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
        out.append(UInt8(scalar))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (scalar >> 6)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (scalar >> 12)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (scalar >> 18)))
        out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}

/// Index of the first byte that starts an invalid UTF-8 sequence, or nil.
func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        // ASCII runs, eight bytes at a time where aligned reads are not needed.
        if bytes[i] < 0x80 {
            i += 1
            while i + 8 <= n {
                var word: UInt64 = 0
                withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[i..<(i + 8)]))) }
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            continue
        }
        let b0 = bytes[i]
        let length: Int
        let minimum: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; minimum = 0x80
        case 0xE0...0xEF: length = 3; minimum = 0x800
        case 0xF0...0xF4: length = 4; minimum = 0x10000
        default: return i
        }
        guard i + length <= n else { return i }
        var scalar = UInt32(b0) & (0xFF >> (length + 1))
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return i }
            scalar = scalar << 6 | UInt32(b & 0x3F)
        }
        if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar < 0xE000) { return i }
        i += length
    }
    return nil
}
