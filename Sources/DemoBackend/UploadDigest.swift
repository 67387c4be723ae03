import Crypto

/// SHA-256 of bytes as they stream past (swift-crypto: hardware-accelerated
/// where the CPU has it), written as lowercase hex like `sha256sum`.
public struct UploadDigest: Sendable {
    private var hash = SHA256()

    public init() {}

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if let done = bytes.withContiguousStorageIfAvailable({ hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { hash.update(bufferPointer: $0) }
    }

    public func hex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hash.finalize() {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
