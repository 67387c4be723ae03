import ComponentValues

/// Writes Component Model values, the counterpart of `CMReader`.
struct CMWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func leb(_ v: UInt64) { writeUnsignedLEB(v, into: &bytes) }

    mutating func string(_ s: String) {
        leb(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func bytesList(_ b: some Collection<UInt8>) {
        leb(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func option<T>(_ value: T?, _ write: (inout CMWriter, T) -> Void) {
        guard let value else {
            byte(0)
            return
        }
        byte(1)
        write(&self, value)
    }
}
