// LEB128 as the Component Model value encoding uses it: unsigned for u16,
// u32, u64 and lengths, signed for s16, s32, s64.

@inline(__always)
public func writeUnsignedLEB(_ value: UInt64, into out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

@inline(__always)
func writeSignedLEB(_ value: Int64, into out: inout [UInt8]) {
    var v = value
    while true {
        let byte = UInt8(truncatingIfNeeded: v) & 0x7F
        v >>= 7
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.append(byte)
            return
        }
        out.append(byte | 0x80)
    }
}

func lebLength(_ value: UInt64) -> Int {
    var n = 1
    var v = value >> 7
    while v != 0 {
        n += 1
        v >>= 7
    }
    return n
}

public enum LEBRead<T> {
    case value(T, length: Int)
    case needMore
    case invalid(String)
}

/// Reads an unsigned LEB128 of at most `bits` bits starting at `start`.
@inline(__always)
public func readUnsignedLEB(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int, bits: Int) -> LEBRead<UInt64> {
    var result: UInt64 = 0
    var shift = 0
    var i = start
    let maxBytes = (bits + 6) / 7
    while i < buffer.count {
        let byte = buffer[i]
        i += 1
        let low = UInt64(byte & 0x7F)
        if shift == (maxBytes - 1) * 7 {
            // The last permitted byte: no continuation, and no bits beyond `bits`.
            let room = bits - shift
            if byte & 0x80 != 0 || (room < 64 && low >> room != 0) {
                return .invalid("unsigned LEB128 value does not fit in \(bits) bits")
            }
        }
        result |= low << UInt64(shift)
        if byte & 0x80 == 0 { return .value(result, length: i - start) }
        shift += 7
    }
    return .needMore
}

/// Reads a signed LEB128 of at most `bits` bits starting at `start`.
@inline(__always)
func readSignedLEB(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int, bits: Int) -> LEBRead<Int64> {
    var result: Int64 = 0
    var shift = 0
    var i = start
    let maxBytes = (bits + 6) / 7
    while i < buffer.count {
        let byte = buffer[i]
        i += 1
        if shift == (maxBytes - 1) * 7 {
            if byte & 0x80 != 0 { return .invalid("signed LEB128 value does not fit in \(bits) bits") }
            // The unused high bits of the last byte must repeat the sign bit.
            let room = bits - shift
            if room < 7 {
                let signAndUnused = Int8(bitPattern: byte << 1) >> (room)
                if signAndUnused != 0 && signAndUnused != -1 {
                    return .invalid("signed LEB128 value does not fit in \(bits) bits")
                }
            }
        }
        result |= Int64(byte & 0x7F) << Int64(shift)
        shift += 7
        if byte & 0x80 == 0 {
            if shift < 64 && byte & 0x40 != 0 { result |= -1 << Int64(shift) }
            return .value(result, length: i - start)
        }
    }
    return .needMore
}
