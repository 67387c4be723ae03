import WRPCTransport

/// A member's connection, as the caller sees it: closing it ends the lease.
struct PooledStream: ByteStream {
    let inner: any ByteStream
    let lease: Lease

    func read() async throws -> [UInt8] {
        let bytes = try await inner.read()
        if !bytes.isEmpty { lease.received() }
        return bytes
    }

    func write(_ bytes: [UInt8]) async throws { try await inner.write(bytes) }
    func write(_ head: [UInt8], _ body: [UInt8]) async throws { try await inner.write(head, body) }
    func closeWrite() async throws { try await inner.closeWrite() }

    func close() {
        inner.close()
        lease.end()
    }
}
