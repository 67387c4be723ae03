// Appending JSON text to a byte buffer: the decoder's output side.

private let hexDigits = Array("0123456789abcdef".utf8)

/// Appends `bytes` (valid UTF-8) as a JSON string literal.
func writeJSONString(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var runStart = 0
    for i in 0..<bytes.count {
        let b = bytes[i]
        guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
        runStart = i + 1
        out.append(UInt8(ascii: "\\"))
        switch b {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
        }
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    out.append(UInt8(ascii: "\""))
}

func writeJSONString(_ s: String, into out: inout [UInt8]) {
    var s = s
    s.withUTF8 { writeJSONString($0, into: &out) }
}

@inline(__always)
func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
    if value < 10 {
        out.append(UInt8(ascii: "0") + UInt8(value))
        return
    }
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
    var n = 0
    var v = value
    withUnsafeMutableBytes(of: &digits) { buf in
        while v > 0 {
            buf[23 - n] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            n += 1
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(24 - n)...]))
    }
}

@inline(__always)
func writeSigned(_ value: Int64, into out: inout [UInt8]) {
    if value < 0 {
        out.append(UInt8(ascii: "-"))
        writeUnsigned(value.magnitude, into: &out)
    } else {
        writeUnsigned(UInt64(value), into: &out)
    }
}

/// Floats: the shortest text that reads back to the same value; NaN and
/// the infinities as the strings the JSON mapping prescribes.
func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, into out: inout [UInt8]) {
    if value.isNaN {
        out.append(contentsOf: Array("\"NaN\"".utf8))
    } else if value.isInfinite {
        out.append(contentsOf: Array((value < 0 ? "\"-Infinity\"" : "\"Infinity\"").utf8))
    } else {
        out.append(contentsOf: value.description.utf8)
    }
}

/// `bytes` as a JSON string of their base64: how `list<u8>` appears in JSON.
public func jsonBase64String(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [UInt8(ascii: "\"")]
    bytes.withUnsafeBufferPointer { Base64.encode($0, into: &out) }
    out.append(UInt8(ascii: "\""))
    return out
}
