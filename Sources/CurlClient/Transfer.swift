import CCurl
import EventLoops
import Synchronization

/// Limits of one fetch.
public struct FetchLimits: Sendable {
    public var connectTimeout: Duration = .seconds(5)
    public var totalTimeout: Duration = .seconds(300)
    public var maxBytes: Int64 = 1 << 30
    public init() {}
}

/// One HTTP GET in flight on an event loop's curl multi handle, its body
/// read piece by piece. When the reader is behind, curl's write callback
/// pauses the transfer (`CURL_WRITEFUNC_PAUSE`) and it is resumed when the
/// body queue has room again: memory stays bounded whatever the body size.
public final class Transfer: @unchecked Sendable {
    // @unchecked: `state` is a mutex; `easy` is configured before the
    // transfer starts and then used on its loop's thread only.
    let easy: UnsafeMutableRawPointer
    public let url: String
    let loop: EventLoop
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let body: ByteQueue
    private let maxBytes: Int64

    private struct State {
        var received: Int64 = 0
        var status: Int?
        var headDone = false
        var result: (code: CURLcode, message: String?)?
        var redirect: String?
        var headWaiter: UnsafeContinuation<Void, Never>?
        var pauses = 0
    }

    private let state = Mutex(State())
    public static let highWater = 1 << 20

    public init(url: String, limits: FetchLimits, loop: EventLoop = .currentOrShared) {
        self.url = url
        self.loop = loop
        self.maxBytes = limits.maxBytes
        body = ByteQueue(highWater: Self.highWater)
        easy = curl_easy_init()
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        wrpc_curl_set_string(easy, CURLOPT_URL, url)
        wrpc_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        wrpc_curl_set_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // Redirects are followed by the caller, which checks each hop against the allowlist.
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
    }

    deinit {
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }

    private static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    private func onLoop(_ body: @escaping @Sendable (CurlMulti) -> Void) {
        let multi = CurlMulti.on(loop)
        if loop.inLoop { body(multi) } else { loop.execute { body(multi) } }
    }

    public func start() {
        onLoop { $0.add(self) }
    }

    /// Stops the transfer; its reader sees it fail.
    public func cancel() {
        onLoop { multi in
            if multi.remove(self) { self.complete(code: CURLE_ABORTED_BY_CALLBACK, message: "cancelled", redirect: nil) }
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

    private func header(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
        let waiter = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            if line.hasPrefix("HTTP/") {
                let parts = line.split(separator: " ")
                if parts.count > 1, let code = Int(parts[1]), code >= 200 { s.status = code }
            } else if line == "\r\n" || line == "\n", s.status != nil {
                s.headDone = true
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
        let waiter = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            s.result = (code, message)
            s.redirect = redirect
            defer { s.headWaiter = nil }
            return s.headWaiter
        }
        if code == CURLE_OK {
            body.finish()
        } else {
            body.fail(FetchError(url: url, message: message ?? "curl error \(code.rawValue)"))
        }
        waiter?.resume()
    }

    // MARK: - For the reader

    /// Waits for the response's status line and headers (or the end). A
    /// cancelled wait cancels the transfer, which ends the wait at once.
    public func head() async -> (status: Int?, failure: String?, redirect: String?) {
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
            return (s.status, failure, s.redirect)
        }
    }

    /// Reads the body to its end and drops it (a redirect's), then says how it ended.
    public func finished() async -> (failure: String?, redirect: String?) {
        do {
            while try await body.next() != nil {}
        } catch {
            return (state.withLock { $0.result?.message } ?? "\(error)", nil)
        }
        return state.withLock { (nil, $0.redirect) }
    }

    /// The next piece of the body; nil at a clean end; throws on failure.
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
    public var description: String { "fetching \(url) failed: \(message)" }
}
