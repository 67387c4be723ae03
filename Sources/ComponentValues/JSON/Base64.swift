/// Base64 for `list<u8>`, handles and `stream<u8>` in JSON: standard and
/// padded on output; standard or URL-safe, padded or not, on input.
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

    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let n = input.count
        let start = out.count
        out.reserveCapacity(start + encodedLength(n))
        alphabet.withUnsafeBufferPointer { a in
            var i = 0
            while i + 3 <= n {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(a[Int((v >> 6) & 63)])
                out.append(a[Int(v & 63)])
                i += 3
            }
            let rest = n - i
            if rest == 1 {
                let v = UInt32(input[i]) << 16
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(UInt8(ascii: "="))
                out.append(UInt8(ascii: "="))
            } else if rest == 2 {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(a[Int((v >> 6) & 63)])
                out.append(UInt8(ascii: "="))
            }
        }
    }

    /// Decodes `input` and appends the bytes; nil if it is not base64.
    static func decode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        var n = input.count
        // Padding is optional, but when present it must complete the last quantum.
        if n > 0 && input[n - 1] == UInt8(ascii: "=") {
            guard n % 4 == 0 else { return false }
            n -= 1
            if input[n - 1] == UInt8(ascii: "=") { n -= 1 }
        }
        if n % 4 == 1 { return false }
        out.reserveCapacity(out.count + n / 4 * 3 + 2)
        return decodeTable.withUnsafeBufferPointer { t -> Bool in
            var i = 0
            while i + 4 <= n {
                let a = t[Int(input[i])], b = t[Int(input[i + 1])], c = t[Int(input[i + 2])], d = t[Int(input[i + 3])]
                if (a | b | c | d) & 0xC0 != 0 { return false }
                let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                out.append(UInt8(v >> 16))
                out.append(UInt8((v >> 8) & 0xFF))
                out.append(UInt8(v & 0xFF))
                i += 4
            }
            let rest = n - i
            if rest == 2 {
                let a = t[Int(input[i])], b = t[Int(input[i + 1])]
                if (a | b) & 0xC0 != 0 || b & 0x0F != 0 { return false }
                out.append(a << 2 | b >> 4)
            } else if rest == 3 {
                let a = t[Int(input[i])], b = t[Int(input[i + 1])], c = t[Int(input[i + 2])]
                if (a | b | c) & 0xC0 != 0 || c & 0x03 != 0 { return false }
                out.append(a << 2 | b >> 4)
                out.append((b & 0x0F) << 4 | c >> 2)
            }
            return true
        }
    }
}
