import CCurl
import EventLoops
import Locking

/// Limits of one fetch.
public struct FetchLimits: Sendable {
    public var connectTimeout: Duration = .seconds(5)
    public var totalTimeout: Duration = .seconds(300)
    public var maxBytes: Int64 = 1 << 30
    public init() {}
}

/// One HTTP request in flight on an event loop's curl multi handle. The
/// request body is read from its `ByteQueue` as curl sends it (the transfer
/// pauses when the queue is empty); the response body goes into a queue of
/// its own, read piece by piece, and when its reader is behind, curl's write
/// callback pauses the transfer (`CURL_WRITEFUNC_PAUSE`) until there is room
/// again: memory stays bounded both ways, whatever the body sizes.
public final class Transfer: @unchecked Sendable {
    // @unchecked: `state` is a mutex; `easy` and `headerList` are set up
    // before the transfer starts and then used on its loop's thread only.
    let easy: UnsafeMutableRawPointer
    public let url: String
    let loop: EventLoop
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let guardState = UnsafeMutablePointer<wrpc_connect_guard>.allocate(capacity: 1)
    private let body: ByteQueue
    private let upload: ByteQueue?
    private let uploadTrailers: (@Sendable () -> [(String, [UInt8])])?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let maxBytes: Int64

    private struct State {
        var received: Int64 = 0
        var status: Int?
        var headers: [(String, [UInt8])] = []
        var trailers: [(String, [UInt8])] = []
        var headDone = false
        var result: (code: CURLcode, message: String?)?
        var failure: TransferFailure?
        var redirect: String?
        var headWaiter: UnsafeContinuation<Void, Never>?
        var pauses = 0
    }

    private let state = Locked(State())
    public static let highWater = 1 << 20

    /// A GET of `url`, connecting to internal addresses only if allowed
    /// (see `OutgoingRequest.allowInternalAddresses`).
    public convenience init(url: String, limits: FetchLimits, allowInternalAddresses: Bool = true, loop: EventLoop = .currentOrShared) {
        var request = OutgoingRequest(url: url)
        request.allowInternalAddresses = allowInternalAddresses
        try! self.init(request: request, limits: limits, loop: loop)
    }

    /// Throws `TransferFailure.badHeader` for a header libcurl cannot send.
    public init(request: OutgoingRequest, limits: FetchLimits, loop: EventLoop = .currentOrShared) throws(TransferFailure) {
        url = request.url
        self.loop = loop
        maxBytes = limits.maxBytes
        body = ByteQueue(highWater: Self.highWater)
        upload = request.body
        uploadTrailers = request.trailers
        easy = curl_easy_init()
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        wrpc_curl_set_string(easy, CURLOPT_URL, request.url)
        // The path goes out as given: callers check a `NormalizedURL`, and
        // a second normaliser here could fetch something they never checked.
        wrpc_curl_set_long(easy, CURLOPT_PATH_AS_IS, 1)
        wrpc_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        wrpc_curl_set_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // Redirects are the caller's to follow (or not), checking each hop.
        wrpc_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        wrpc_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        wrpc_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(limits.connectTimeout))
        wrpc_curl_set_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(limits.totalTimeout))
        wrpc_curl_set_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxBytes))
        wrpc_curl_set_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        wrpc_curl_set_callback(easy, CURLOPT_WRITEFUNCTION, Transfer.onData)
        wrpc_curl_set_pointer(easy, CURLOPT_WRITEDATA, me)
        wrpc_curl_set_callback(easy, CURLOPT_HEADERFUNCTION, Transfer.onHeader)
        wrpc_curl_set_pointer(easy, CURLOPT_HEADERDATA, me)
        wrpc_curl_set_string(easy, CURLOPT_USERAGENT, "wrpc-gateway")
        // Larger buffers than libcurl's 16 KiB / 64 KiB defaults: fewer
        // callbacks, queue pieces and frames per MiB of body.
        wrpc_curl_set_long(easy, CURLOPT_BUFFERSIZE, Self.bufferSize)
        wrpc_curl_set_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, Self.bufferSize)
        if let ca = request.tls.caFile { wrpc_curl_set_string(easy, CURLOPT_CAINFO, ca) }
        if !request.tls.verifyHostName { wrpc_curl_set_long(easy, CURLOPT_SSL_VERIFYHOST, 0) }
        if let certificate = request.tls.certificateFile { wrpc_curl_set_string(easy, CURLOPT_SSLCERT, certificate) }
        if let key = request.tls.keyFile { wrpc_curl_set_string(easy, CURLOPT_SSLKEY, key) }
        guardState.initialize(to: wrpc_connect_guard(allow_internal: request.allowInternalAddresses ? 1 : 0, denied: 0))
        wrpc_curl_guard_connections(easy, guardState)
        // Bodies and headers go as given: no decoding behind the caller's back.
        wrpc_curl_set_long(easy, CURLOPT_HTTP_CONTENT_DECODING, 0)
        wrpc_curl_set_long(easy, CURLOPT_HTTP_TRANSFER_DECODING, 1)

        switch request.method {
        case "GET": break
        case "HEAD": wrpc_curl_set_long(easy, CURLOPT_NOBODY, 1)
        default: wrpc_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        var lines: [[UInt8]] = []
        for (name, value) in request.headers where !OutgoingRequest.notForwarded.contains(name.lowercased()) {
            guard let line = OutgoingRequest.line(name, value) else { throw .badHeader(name) }
            lines.append(line)
        }
        if request.body != nil {
            wrpc_curl_set_long(easy, CURLOPT_UPLOAD, 1)
            wrpc_curl_set_callback(easy, CURLOPT_READFUNCTION, Transfer.onRead)
            wrpc_curl_set_pointer(easy, CURLOPT_READDATA, me)
            if let length = request.bodyLength {
                wrpc_curl_set_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(length))
            } else {
                lines.append(Array("Transfer-Encoding: chunked".utf8) + [0])
                if request.trailers != nil {
                    wrpc_curl_set_trailer_callback(easy, Transfer.onTrailers)
                    wrpc_curl_set_pointer(easy, CURLOPT_TRAILERDATA, me)
                }
            }
            // No "Expect: 100-continue" round trip: the body is already flowing.
            lines.append(Array("Expect:".utf8) + [0])
        }
        for line in lines { headerList = Self.append(line, to: headerList) }
        if let headerList { wrpc_curl_set_headers(easy, headerList) }
    }

    deinit {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
        guardState.deallocate()
    }

    private static func milliseconds(_ d: Duration) -> Int {
        Int(d.nanoseconds / 1_000_000)
    }

    private func onLoop(_ body: @escaping @Sendable (CurlMulti) -> Void) {
        let multi = CurlMulti.on(loop)
        if loop.inLoop { body(multi) } else { loop.execute { body(multi) } }
    }

    public func start() {
        onLoop { $0.add(self) }
    }

    /// Stops the transfer; its reader sees it fail with `failure`.
    public func cancel(_ failure: TransferFailure = .cancelled, message: String = "cancelled") {
        onLoop { multi in
            guard multi.remove(self) else { return }
            self.state.withLock { $0.failure = failure }
            self.complete(code: CURLE_ABORTED_BY_CALLBACK, message: message, redirect: nil)
        }
    }

    func errorText(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    // MARK: - On the loop, inside curl's callbacks

    private static let onData: wrpc_curl_data_callback = { data, size, count, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().take(data!, size * count)
    }

    private static let onHeader: wrpc_curl_data_callback = { data, size, count, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().header(data!, size * count)
    }

    /// libcurl's receive and send buffer sizes for one transfer.
    static let bufferSize = 256 << 10

    private static let onRead: wrpc_curl_data_callback = { data, size, count, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().give(data!, size * count)
    }

    private static let onTrailers: wrpc_curl_trailer_callback = { list, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().sendTrailers(list!)
    }

    private func take(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        let tooMuch = state.withLock { s -> Bool in
            s.received += Int64(n)
            return s.received > maxBytes
        }
        if tooMuch { return 0 }  // libcurl ends the transfer with a write error
        let taken = body.offer(UnsafeRawBufferPointer(start: data, count: n)) { [self] in
            // Room again: resume on the loop, outside curl's callbacks.
            loop.execute { CurlMulti.on(self.loop).resume(self) }
        }
        if taken { return n }
        state.withLock {
            $0.received -= Int64(n)
            $0.pauses += 1
        }
        return wrpc_curl_writefunc_pause()
    }

    /// The request body for curl: what the queue holds, or a pause until it
    /// holds more (resumed from the queue's callback), or the end.
    private func give(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        guard let upload else { return 0 }
        switch upload.read(into: UnsafeMutableRawBufferPointer(start: data, count: n), onReadable: { [self] in
            loop.execute { CurlMulti.on(self.loop).resume(self) }
        }) {
        case .bytes(let count): return count
        case .wouldBlock: return wrpc_curl_readfunc_pause()
        case .end: return 0
        case .failed: return wrpc_curl_readfunc_abort()
        }
    }

    private func sendTrailers(_ list: UnsafeMutablePointer<UnsafeMutablePointer<curl_slist>?>) -> Int32 {
        // libcurl owns the list once the callback returns: it frees it itself.
        for (name, value) in uploadTrailers?() ?? [] {
            guard let line = OutgoingRequest.line(name, value) else { continue }
            list.pointee = Self.append(line, to: list.pointee)
        }
        return CURL_TRAILERFUNC_OK
    }

    /// Appends a NUL-terminated line (see `OutgoingRequest.line`) to a curl list.
    private static func append(_ line: [UInt8], to list: UnsafeMutablePointer<curl_slist>?) -> UnsafeMutablePointer<curl_slist>? {
        line.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { curl_slist_append(list, $0) }
        }
    }

    private func header(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        let raw = Array(UnsafeRawBufferPointer(start: data, count: n))
        let waiter = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            if raw.starts(with: Array("HTTP/".utf8)) {
                // A status line: a new head (after a 1xx, the real one).
                let parts = String(decoding: raw, as: UTF8.self).split(separator: " ")
                if parts.count > 1, let code = Int(parts[1]) {
                    s.status = code
                    s.headers = []
                }
            } else if raw == [13, 10] || raw == [10] {
                if let status = s.status, status >= 200 { s.headDone = true }
            } else if let colon = raw.firstIndex(of: UInt8(ascii: ":")) {
                var value = raw[(colon + 1)...]
                while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
                while let l = value.last, l == 10 || l == 13 || l == 32 || l == 9 { value = value.dropLast() }
                let field = (String(decoding: raw[..<colon], as: UTF8.self), Array(value))
                // Fields after the head are the trailers of a chunked body.
                if s.headDone { s.trailers.append(field) } else { s.headers.append(field) }
            }
            guard s.headDone else { return nil }
            defer { s.headWaiter = nil }
            return s.headWaiter
        }
        waiter?.resume()
        return n
    }

    func noteStatus(_ code: Int) {
        state.withLock { s in if s.status == nil && code > 0 { s.status = code } }
    }

    func complete(code: CURLcode, message: String?, redirect: String?) {
        let (waiter, failure) = state.withLock { s -> (UnsafeContinuation<Void, Never>?, TransferFailure?) in
            s.result = (code, message)
            s.redirect = redirect
            if code != CURLE_OK && s.failure == nil {
                s.failure = guardState.pointee.denied != 0 ? .internalAddress : Self.classify(code)
            }
            defer { s.headWaiter = nil }
            return (s.headWaiter, s.failure)
        }
        if code == CURLE_OK {
            body.finish()
        } else {
            body.fail(FetchError(url: url, message: message ?? "curl error \(code.rawValue)", failure: failure ?? .other))
        }
        upload?.cancel(FetchError(url: url, message: message ?? "the transfer ended", failure: failure ?? .other))
        waiter?.resume()
    }

    static func classify(_ code: CURLcode) -> TransferFailure {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .couldNotResolve
        case CURLE_COULDNT_CONNECT: return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: return .timedOut
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM: return .tls(certificate: true)
        case CURLE_SSL_CONNECT_ERROR: return .tls(certificate: false)
        case CURLE_SEND_ERROR, CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK: return .sendFailed
        case CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING: return .receiveFailed
        case CURLE_FILESIZE_EXCEEDED, CURLE_WRITE_ERROR: return .tooLarge
        default: return .other
        }
    }

    // MARK: - For the reader

    /// What the response's head said, once it has come (or the transfer ended).
    public struct Head: Sendable {
        /// The whole head arrived (the transfer may still fail in its body).
        public let complete: Bool
        public let status: Int?
        public let headers: [(String, [UInt8])]
        public let failure: String?
        public let failureKind: TransferFailure?
        public let redirect: String?
    }

    /// Waits for the response's status line and headers (or the end). A
    /// cancelled wait cancels the transfer, which ends the wait at once.
    public func responseHead() async -> Head {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.headDone || s.result != nil { return true }
                    s.headWaiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            cancel()
        }
        return state.withLock { s in
            let failure = s.result.flatMap { $0.code == CURLE_OK ? nil : ($0.message ?? "curl error \($0.code.rawValue)") }
            return Head(complete: s.headDone, status: s.status, headers: s.headers,
                        failure: failure, failureKind: failure == nil ? nil : s.failure, redirect: s.redirect)
        }
    }

    /// Waits for the response's status line and headers (or the end).
    public func head() async -> (status: Int?, failure: String?, redirect: String?) {
        let h = await responseHead()
        return (h.status, h.failure, h.redirect)
    }

    /// The trailers of a chunked response, once its body has ended.
    public var trailers: [(String, [UInt8])] { state.withLock { $0.trailers } }

    /// Reads the body to its end and drops it (a redirect's), then says how it ended.
    public func finished() async -> (failure: String?, redirect: String?) {
        do {
            while try await body.next() != nil {}
        } catch {
            return (state.withLock { $0.result?.message } ?? "\(error)", nil)
        }
        return state.withLock { (nil, $0.redirect) }
    }

    /// The next piece of the body; nil at a clean end; throws `FetchError` on failure.
    public func next() async throws -> [UInt8]? {
        try await body.next()
    }

    public var statistics: (peak: Int, pauses: Int) {
        (body.peakBuffered, state.withLock { $0.pauses })
    }
}

public struct FetchError: Error, CustomStringConvertible {
    public let url: String
    public let message: String
    public var failure: TransferFailure = .other
    public var description: String { "fetching \(url) failed: \(message)" }
}
