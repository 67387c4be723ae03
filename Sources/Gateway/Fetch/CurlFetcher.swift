import CCurl
import Foundation

/// Outgoing HTTP with libcurl's multi interface, on a thread of its own
/// (never on the Swift concurrency pool: libcurl calls block and call back).
/// Bodies are handed on as they arrive; a transfer whose reader is behind is
/// paused (`CURL_WRITEFUNC_PAUSE`) and resumed when the reader catches up.
final class CurlFetcher: @unchecked Sendable {
    // @unchecked: `commands` and `transfers` are guarded by `lock`; the multi
    // handle is used only on the fetcher's thread (and by curl_multi_wakeup,
    // which libcurl allows from any thread).
    static let shared = CurlFetcher()

    enum Command {
        case add(Transfer)
        case resume(Transfer)
        case cancel(Transfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var commands: [Command] = []
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        multi = curl_multi_init()
        let thread = Thread { [self] in self.loop() }
        thread.name = "wrpc-curl"
        thread.start()
    }

    func submit(_ command: Command) {
        lock.lock()
        commands.append(command)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    private func loop() {
        while true {
            lock.lock()
            let pending = commands
            commands.removeAll()
            lock.unlock()
            for command in pending {
                switch command {
                case .add(let t):
                    transfers[t.easy] = t
                    curl_multi_add_handle(multi, t.easy)
                case .resume(let t):
                    if transfers[t.easy] != nil { curl_easy_pause(t.easy, CURLPAUSE_RECV_CONT | CURLPAUSE_SEND_CONT) }
                case .cancel(let t):
                    if transfers.removeValue(forKey: t.easy) != nil {
                        curl_multi_remove_handle(multi, t.easy)
                        t.complete(code: CURLE_ABORTED_BY_CALLBACK, message: "cancelled", redirect: nil)
                    }
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var code = CURLE_OK
            while let easy = wrpc_curl_next_done(multi, &code) {
                guard let t = transfers.removeValue(forKey: easy) else { continue }
                let redirect = wrpc_curl_info_string(easy, CURLINFO_REDIRECT_URL).map { String(cString: $0) }
                let status = wrpc_curl_info_long(easy, CURLINFO_RESPONSE_CODE)
                curl_multi_remove_handle(multi, easy)
                t.noteStatus(Int(status))
                t.complete(code: code, message: code == CURLE_OK ? nil : t.errorText(code), redirect: redirect)
            }
            var fds: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &fds)
        }
    }
}

/// Limits of one fetch.
public struct FetchLimits: Sendable {
    public var connectTimeout: Duration = .seconds(5)
    public var totalTimeout: Duration = .seconds(300)
    public var maxBytes: Int64 = 1 << 30
    public init() {}
}

/// One HTTP GET in flight, read piece by piece.
final class Transfer: @unchecked Sendable {
    // @unchecked: state below is guarded by `lock`; `easy` is configured
    // before the transfer is submitted and then used by the fetcher thread.
    let easy: UnsafeMutableRawPointer
    let url: String
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let lock = NSLock()
    private var chunks: [[UInt8]] = []
    private var buffered = 0
    private var paused = false
    private var received: Int64 = 0
    private var status: Int?
    private var headDone = false
    private var result: (code: CURLcode, message: String?)?
    private var redirect: String?
    private var headWaiter: CheckedContinuation<Void, Never>?
    private var chunkWaiter: CheckedContinuation<Void, Never>?
    private let maxBytes: Int64
    /// The most bytes ever held, for tests of the memory bound.
    private(set) var peakBuffered = 0
    private(set) var pauses = 0
    static let highWater = 1 << 20

    init(url: String, limits: FetchLimits) {
        self.url = url
        self.maxBytes = limits.maxBytes
        easy = curl_easy_init()
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        wrpc_curl_set_string(easy, CURLOPT_URL, url)
        wrpc_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        wrpc_curl_set_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // Redirects are followed by the caller, which checks each hop against the allowlist.
        wrpc_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        wrpc_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        wrpc_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout.components.seconds * 1000 + limits.connectTimeout.components.attoseconds / 1_000_000_000_000_000))
        wrpc_curl_set_long(easy, CURLOPT_TIMEOUT_MS, Int(limits.totalTimeout.components.seconds * 1000 + limits.totalTimeout.components.attoseconds / 1_000_000_000_000_000))
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

    func start() { CurlFetcher.shared.submit(.add(self)) }
    func cancel() { CurlFetcher.shared.submit(.cancel(self)) }

    func errorText(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    // MARK: - On the fetcher's thread

    private static let onData: wrpc_curl_data_callback = { data, size, count, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().take(data!, size * count)
    }

    private static let onHeader: wrpc_curl_data_callback = { data, size, count, user in
        Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().header(data!, size * count)
    }

    private func take(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        lock.lock()
        if buffered >= Self.highWater {
            paused = true
            pauses += 1
            lock.unlock()
            return wrpc_curl_writefunc_pause()
        }
        received += Int64(n)
        if received > maxBytes {
            lock.unlock()
            return 0  // libcurl ends the transfer with a write error
        }
        chunks.append(Array(UnsafeRawBufferPointer(start: data, count: n)))
        buffered += n
        peakBuffered = max(peakBuffered, buffered)
        let w = chunkWaiter
        chunkWaiter = nil
        lock.unlock()
        w?.resume()
        return n
    }

    private func header(_ data: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
        lock.lock()
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ")
            if parts.count > 1, let code = Int(parts[1]), code >= 200 { status = code }
        } else if line == "\r\n" || line == "\n", status != nil {
            headDone = true
        }
        let w = headDone ? headWaiter : nil
        if w != nil { headWaiter = nil }
        lock.unlock()
        w?.resume()
        return n
    }

    func noteStatus(_ code: Int) {
        lock.lock()
        if status == nil && code > 0 { status = code }
        lock.unlock()
    }

    func complete(code: CURLcode, message: String?, redirect: String?) {
        lock.lock()
        result = (code, message)
        self.redirect = redirect
        let a = headWaiter, b = chunkWaiter
        headWaiter = nil
        chunkWaiter = nil
        lock.unlock()
        a?.resume()
        b?.resume()
    }

    // MARK: - For the reader

    /// Waits for the response's status line and headers (or the end).
    func head() async -> (status: Int?, failure: String?, redirect: String?) {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if headDone || result != nil {
                lock.unlock()
                c.resume()
            } else {
                headWaiter = c
                lock.unlock()
            }
        }
        return lock.withLock {
            let failure = result.flatMap { $0.code == CURLE_OK ? nil : ($0.message ?? "curl error \($0.code.rawValue)") }
            return (status, failure, redirect)
        }
    }

    /// Waits for the end of the transfer (used for redirects).
    func finished() async -> (failure: String?, redirect: String?) {
        while true {
            let step: (done: (String?, String?)?, resume: Bool) = lock.withLock {
                if let r = result { return ((r.code == CURLE_OK ? nil : r.message, redirect), false) }
                chunks.removeAll()
                buffered = 0
                defer { paused = false }
                return (nil, paused)
            }
            if let done = step.done { return (done.0, done.1) }
            if step.resume { CurlFetcher.shared.submit(.resume(self)) }
            await waitForData()
        }
    }

    private func waitForData() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if !chunks.isEmpty || result != nil {
                lock.unlock()
                c.resume()
            } else {
                chunkWaiter = c
                lock.unlock()
            }
        }
    }

    /// The next piece of the body; nil at a clean end; throws on failure.
    func next() async throws -> [UInt8]? {
        enum Step { case piece([UInt8], resume: Bool), end, failed(String), wait }
        while true {
            let step: Step = lock.withLock {
                if !chunks.isEmpty {
                    let piece = chunks.removeFirst()
                    buffered -= piece.count
                    let resume = paused && buffered < Self.highWater / 2
                    if resume { paused = false }
                    return .piece(piece, resume: resume)
                }
                if let r = result {
                    return r.code == CURLE_OK ? .end : .failed(r.message ?? "curl error \(r.code.rawValue)")
                }
                return .wait
            }
            switch step {
            case .piece(let piece, let resume):
                if resume { CurlFetcher.shared.submit(.resume(self)) }
                return piece
            case .end: return nil
            case .failed(let m): throw FetchError(url: url, message: m)
            case .wait: await waitForData()
            }
        }
    }

    var statistics: (peak: Int, pauses: Int) {
        lock.withLock { (peakBuffered, pauses) }
    }
}

struct FetchError: Error, CustomStringConvertible {
    let url: String
    let message: String
    var description: String { "fetching \(url) failed: \(message)" }
}
