#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD

/// An answer written to a client socket directly, for the moments
/// libmicrohttpd cannot queue one (a request body still coming, a request
/// not yet read): small, so the kernel takes it whole; if not, the client
/// just sees the connection end.
enum RawAnswer {
    static func send(_ response: HTTPResponse, on fd: Int32) {
        let reason = MHD_get_reason_phrase_for(UInt32(response.status)).map { String(cString: $0) } ?? ""
        var head = "HTTP/1.1 \(response.status) \(reason)\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }
}
