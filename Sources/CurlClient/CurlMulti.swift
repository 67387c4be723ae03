import CCurl
import EventLoops
import Locking

/// libcurl's multi interface driven by one event loop: curl names the
/// sockets it wants watched (`CURLMOPT_SOCKETFUNCTION`) and when to be
/// called regardless (`CURLMOPT_TIMERFUNCTION`); the loop watches them and
/// calls `curl_multi_socket_action`. No thread of its own, no polling. Used
/// only on its loop's thread.
final class CurlMulti: @unchecked Sendable {
    // @unchecked: every member is used on `loop`'s thread only.
    let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var watched: [Int32: SocketWatch] = [:]
    private var timer: LoopTimer?

    private static let all = Locked<[ObjectIdentifier: CurlMulti]>([:])
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The multi handle of `loop`, made on first use.
    static func on(_ loop: EventLoop) -> CurlMulti {
        all.withLock { multis in
            if let m = multis[ObjectIdentifier(loop)] { return m }
            let m = CurlMulti(loop: loop)
            multis[ObjectIdentifier(loop)] = m
            return m
        }
    }

    private init(loop: EventLoop) {
        _ = Self.globalInit
        self.loop = loop
        multi = curl_multi_init()
        wrpc_curl_multi_drive(multi, Self.onSocket, Self.onTimer, Unmanaged.passUnretained(self).toOpaque())
    }

    func add(_ transfer: Transfer) {
        transfers[transfer.easy] = transfer
        curl_multi_add_handle(multi, transfer.easy)
    }

    /// Stops a transfer before its end; false if it had ended already.
    func remove(_ transfer: Transfer) -> Bool {
        guard transfers.removeValue(forKey: transfer.easy) != nil else { return false }
        curl_multi_remove_handle(multi, transfer.easy)
        return true
    }

    func resume(_ transfer: Transfer) {
        guard transfers[transfer.easy] != nil else { return }
        curl_easy_pause(transfer.easy, CURLPAUSE_RECV_CONT | CURLPAUSE_SEND_CONT)
    }

    // MARK: - Driving curl

    fileprivate func act(_ fd: Int32, _ events: Int32) {
        var running: Int32 = 0
        curl_multi_socket_action(multi, fd, events, &running)
        reapFinished()
    }

    private func reapFinished() {
        var code = CURLE_OK
        while let easy = wrpc_curl_next_done(multi, &code) {
            guard let t = transfers.removeValue(forKey: easy) else { continue }
            let redirect = wrpc_curl_info_string(easy, CURLINFO_REDIRECT_URL).map { String(cString: $0) }
            let status = wrpc_curl_info_long(easy, CURLINFO_RESPONSE_CODE)
            curl_multi_remove_handle(multi, easy)
            t.noteStatus(Int(status))
            t.complete(code: code, message: code == CURLE_OK ? nil : t.errorText(code), redirect: redirect)
        }
    }

    fileprivate func watch(_ fd: Int32, _ what: Int32) {
        if what == wrpc_curl_poll_remove() {
            if watched.removeValue(forKey: fd) != nil { loop.deregister(fd) }
            return
        }
        var interest: Interest = [.hangup]
        if what == wrpc_curl_poll_in() || what == wrpc_curl_poll_inout() { interest.insert(.read) }
        if what == wrpc_curl_poll_out() || what == wrpc_curl_poll_inout() { interest.insert(.write) }
        if watched[fd] != nil {
            loop.modify(fd, interest)
            return
        }
        let w = SocketWatch(fd: fd, multi: self)
        if (try? loop.register(fd, interest, w)) != nil { watched[fd] = w }
    }

    /// curl asks to be called after `ms` (0: as soon as possible; -1: never).
    /// Not from inside its own callback: on the loop's next pass.
    fileprivate func setTimer(_ ms: Int) {
        timer?.cancel()
        timer = nil
        guard ms >= 0 else { return }
        timer = loop.schedule(after: .milliseconds(ms)) { [self] in
            timer = nil
            act(wrpc_curl_socket_timeout(), 0)
        }
    }

    private static let onSocket: wrpc_curl_socket_callback = { _, fd, what, user, _ in
        Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().watch(fd, what)
        return 0
    }

    private static let onTimer: wrpc_curl_timer_callback = { _, ms, user in
        Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().setTimer(ms)
        return 0
    }
}

/// One of curl's sockets, as the loop reports it (level-triggered, as curl expects).
private final class SocketWatch: IOHandler, @unchecked Sendable {
    // @unchecked: called on the loop's thread only.
    let fd: Int32
    unowned let multi: CurlMulti

    init(fd: Int32, multi: CurlMulti) {
        self.fd = fd
        self.multi = multi
    }

    func ready(_ events: IOEvents) {
        var mask: Int32 = 0
        if events.contains(.read) { mask |= wrpc_curl_csel_in() }
        if events.contains(.write) { mask |= wrpc_curl_csel_out() }
        if events.contains(.hangup) && !events.contains(.read) { mask |= wrpc_curl_csel_err() }
        multi.act(fd, mask)
    }
}
