/// Base64 for `list<u8>`, handles and `stream<u8>` in JSON: standard and
/// padded on output; standard or URL-safe, padded or not, on input. Output
/// is sized once and written through pointers: this is the hot path for
/// byte payloads.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0–63 for a digit of either alphabet, 0xFF otherwise.
    private static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    /// `decodeTable` values pre-shifted to their place in a 24-bit group;
    /// an invalid digit sets bit 31, so one test after the loop catches any.
    private static let shifted: [[UInt32]] = (0..<4).map { position in
        decodeTable.map { v in v == 0xFF ? 0x8000_0000 : UInt32(v) << UInt32(18 - 6 * position) }
    }

    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let n = input.count
        let start = out.count
        let length = encodedLength(n)
        out.append(contentsOf: repeatElement(0, count: length))
        alphabet.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                var w = start
                var i = 0
                while i + 3 <= n {
                    let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    o[w] = a[Int(v >> 18)]
                    o[w + 1] = a[Int((v >> 12) & 63)]
                    o[w + 2] = a[Int((v >> 6) & 63)]
                    o[w + 3] = a[Int(v & 63)]
                    w += 4
                    i += 3
                }
                let rest = n - i
                if rest > 0 {
                    let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                    o[w] = a[Int(v >> 18)]
                    o[w + 1] = a[Int((v >> 12) & 63)]
                    o[w + 2] = rest == 2 ? a[Int((v >> 6) & 63)] : UInt8(ascii: "=")
                    o[w + 3] = UInt8(ascii: "=")
                }
            }
        }
    }

    /// The number of bytes `input` decodes to, or nil if its length or
    /// padding cannot be base64.
    static func decodedLength(_ input: UnsafeBufferPointer<UInt8>) -> Int? {
        var n = input.count
        if n > 0 && input[n - 1] == UInt8(ascii: "=") {
            guard n % 4 == 0 else { return nil }
            n -= 1
            if input[n - 1] == UInt8(ascii: "=") { n -= 1 }
        }
        if n % 4 == 1 { return nil }
        return n / 4 * 3 + (n % 4 == 3 ? 2 : n % 4 == 2 ? 1 : 0)
    }

    /// Decodes `input` and appends the bytes; false (appending nothing) if it is not base64.
    static func decode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        guard let length = decodedLength(input) else { return false }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        let ok = decodeTable.withUnsafeBufferPointer { t in
            shifted[0].withUnsafeBufferPointer { t0 in
            shifted[1].withUnsafeBufferPointer { t1 in
            shifted[2].withUnsafeBufferPointer { t2 in
            shifted[3].withUnsafeBufferPointer { t3 in
            out.withUnsafeMutableBufferPointer { o -> Bool in
                var w = start
                var i = 0
                let whole = length / 3 * 4
                var bad: UInt32 = 0
                while i + 4 <= whole {
                    let v = t0[Int(input[i])] | t1[Int(input[i + 1])] | t2[Int(input[i + 2])] | t3[Int(input[i + 3])]
                    bad |= v
                    o[w] = UInt8(truncatingIfNeeded: v >> 16)
                    o[w + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    o[w + 2] = UInt8(truncatingIfNeeded: v)
                    w += 3
                    i += 4
                }
                if bad & 0x8000_0000 != 0 { return false }
                switch length - (w - start) {
                // Bits past the last byte are ignored, as most decoders do.
                case 1:
                    let a = t[Int(input[i])], b = t[Int(input[i + 1])]
                    if (a | b) & 0xC0 != 0 { return false }
                    o[w] = a << 2 | b >> 4
                case 2:
                    let a = t[Int(input[i])], b = t[Int(input[i + 1])], c = t[Int(input[i + 2])]
                    if (a | b | c) & 0xC0 != 0 { return false }
                    o[w] = a << 2 | b >> 4
                    o[w + 1] = (b & 0x0F) << 4 | c >> 2
                default:
                    break
                }
                return true
            }
            }
            }
            }
            }
        }
        if !ok { out.removeSubrange(start...) }
        return ok
    }
}
