import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 response, its body read whole.
struct HTTPReply {
    let status: Int
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client connection to a loopback port on a plain
/// socket, kept alive between requests. Blocking and single-threaded on
/// purpose: what it times is the gateway, not an event loop of the bench's.
/// Not Sendable: the thread that makes it uses it.
final class HTTPConnection {
    private let fd: Int32
    /// Bytes read past the end of the last response.
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    /// Connects to 127.0.0.1:`port`; a read or write that waits longer than
    /// `timeoutSeconds` fails, so a stuck gateway cannot hang the bench.
    init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let error = errno
            Glibc.close(fd)
            throw BenchError("connect to 127.0.0.1:\(port): errno \(error)")
        }
    }

    deinit { Glibc.close(fd) }

    /// A request with a small body, and its response.
    func request(_ method: String, _ path: String, headers: [String] = [], body: [UInt8] = []) throws -> HTTPReply {
        try send(Self.head(method, path, headers: headers, contentLength: body.isEmpty && method == "GET" ? nil : body.count) + body)
        return try readResponse()
    }

    static func head(_ method: String, _ path: String, headers: [String], contentLength: Int?) -> [UInt8] {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1"] + headers
        if let contentLength { lines.append("Content-Length: \(contentLength)") }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    func send(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a gateway that closes early must give an error here, not a SIGPIPE.
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError(errno == EAGAIN ? "write timed out" : "write: errno \(errno)")
            }
            offset += n
        }
    }

    /// Reads one response: Content-Length bodies, chunked ones (streamed
    /// results; trailers are skipped), or to the end of the connection.
    func readResponse() throws -> HTTPReply {
        var headEnd = Self.find([13, 10, 13, 10], in: pending)
        while headEnd == nil {
            guard try fill() else { throw BenchError("connection closed before a response") }
            headEnd = Self.find([13, 10, 13, 10], in: pending)
        }
        let head = String(decoding: pending[..<headEnd!], as: UTF8.self).lowercased()
        pending.removeFirst(headEnd! + 4)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("http/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else { throw BenchError("not an HTTP/1.1 response: \(head.prefix(80))") }
        if lines.contains(where: { $0.hasPrefix("transfer-encoding:") }) {
            return HTTPReply(status: status, body: try readChunked())
        }
        let length = lines.first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
        if let length {
            while pending.count < length {
                guard try fill() else { throw BenchError("connection closed inside a response body") }
            }
        } else {
            while try fill() {}
        }
        let body = Array(pending.prefix(length ?? pending.count))
        pending.removeFirst(body.count)
        return HTTPReply(status: status, body: body)
    }

    /// A chunked body, to its last chunk and the empty line after any
    /// trailers. A body cut short (how the gateway ends a failed byte
    /// stream) is an error.
    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw BenchError("bad chunk size line: \(line.prefix(40))")
            }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            while pending.count < size + 2 {
                guard try fill() else { throw BenchError("chunked body cut short") }
            }
            body += pending[..<size]
            pending.removeFirst(size + 2)
        }
    }

    /// One CRLF-terminated line, without its CRLF.
    private func readLine() throws -> String {
        var end = Self.find([13, 10], in: pending)
        while end == nil {
            guard try fill() else { throw BenchError("chunked body cut short") }
            end = Self.find([13, 10], in: pending)
        }
        let line = String(decoding: pending[..<end!], as: UTF8.self)
        pending.removeFirst(end! + 2)
        return line
    }

    /// Appends what the socket has; false at its end.
    private func fill() throws -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                pending += chunk[..<n]
                return true
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            throw BenchError(errno == EAGAIN ? "read timed out" : "read: errno \(errno)")
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
