#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import HTTPHead

/// One daemon's connections, watched for slow clients (on the daemon's
/// loop): the whole request head must come within `headerTimeoutSeconds`
/// of the connection opening (or of the previous request ending, plus the
/// idle timeout, on a kept-alive connection), and a request
/// body must move at least `minBodyRate` bytes a second over each window
/// of `bodyRateWindowSeconds` while the server is reading it. libmicrohttpd's
/// idle timeout alone restarts at every byte, so one byte every few
/// seconds kept a connection (and a slot) for good.
final class ConnectionWatch {
    struct Tracked {
        let address: String
        /// Tells this connection from a later one at the same address.
        let id: Int
        let fd: Int32
        /// When the current request head began to be awaited; nil while a request is being served.
        var headSince: ContinuousClock.Instant?
        /// Refused: answered and shut down; whatever it sends is not served.
        var refused = false
        /// A request was served on it: waiting for the next is keep-alive.
        var served = false
    }

    private unowned let daemon: Daemon
    private var tracked: [OpaquePointer: Tracked] = [:]
    private var lastSweep = ContinuousClock.now
    private var nextID = 0

    init(daemon: Daemon) { self.daemon = daemon }

    func started(_ connection: OpaquePointer, address: String) {
        nextID += 1
        tracked[connection] = Tracked(address: address, id: nextID, fd: wrpc_mhd_connection_fd(connection), headSince: .now)
        if let rejection = daemon.server.clients.admit(address, limits: daemon.server.limits) {
            refuse(connection, rejection)
        }
    }

    func closed(_ connection: OpaquePointer) {
        guard let t = tracked.removeValue(forKey: connection) else { return }
        daemon.server.clients.release(t.address)
    }

    /// A request's head is in; false when the connection was refused (the request is not served).
    func headReceived(_ connection: OpaquePointer) -> Bool {
        tracked[connection]?.headSince = nil
        return !(tracked[connection]?.refused ?? false)
    }

    /// A request ended; on a kept-alive connection the next head's clock starts.
    func requestEnded(_ connection: OpaquePointer) {
        if tracked[connection] != nil {
            tracked[connection]!.headSince = .now
            tracked[connection]!.served = true
        }
    }

    /// libmicrohttpd is about to refuse a request's `Content-Length` (`-1`,
    /// `+4`, `0x4`, `4, 4`, over 2^64−1) with its own page, which 0.9.75
    /// writes with its head twice over, and it does not say on which
    /// connection. Each connection whose head is still awaited and whose
    /// headers so far are refused by the framing check gets the gateway's
    /// answer first, and its write side is shut, so libmicrohttpd's page
    /// never leaves. Over HTTPS the answer cannot be written beside its
    /// TLS stream: libmicrohttpd's stays.
    func lengthRefused() {
        guard daemon.server.tls == nil else { return }
        for (connection, t) in tracked where !t.refused && t.headSince != nil {
            switch FramingCheck.bodyLength(RawValues.collect(connection, .HEADER_KIND)) {
            case .failure(let refusal): refuse(connection, HTTPRejection(refusal))
            case .success(let length?) where length == .max: refuse(connection, .bodyTooLarge(limit: daemon.server.limits.maxBodyBytes))
            case .success: continue
            }
        }
    }

    /// Closes heads that took too long and bodies that moved too slowly,
    /// and cancels calls whose client left in the middle of the body
    /// (at most twice a second; the daemon's timer runs at least once a second).
    func sweep(_ exchanges: Dictionary<ObjectIdentifier, Exchange>.Values) {
        let now = ContinuousClock.now
        guard now - lastSweep >= .milliseconds(500) else { return }
        lastSweep = now
        let limits = daemon.server.limits
        let headLimit = Duration.seconds(limits.headerTimeoutSeconds)
        // A kept-alive connection may first be idle as long as the idle
        // timeout allows, and is then closed without an answer: an
        // unsolicited 408 could be read as the answer to a request the
        // client is sending just then.
        let keepAliveLimit = headLimit + .seconds(limits.idleTimeoutSeconds)
        for (connection, t) in tracked where !t.refused && limits.headerTimeoutSeconds > 0 {
            guard let since = t.headSince, now - since > (t.served ? keepAliveLimit : headLimit) else { continue }
            refuse(connection, t.served ? nil : .headerTimeout(seconds: limits.headerTimeoutSeconds))
        }
        var left = false
        for exchange in exchanges where exchange.clientLeftMidBody() { left = true }
        if left { daemon.scheduleRun() }
        guard limits.minBodyRate > 0 else { return }
        let window = Duration.seconds(max(1, limits.bodyRateWindowSeconds))
        let perWindow = limits.minBodyRate * max(1, limits.bodyRateWindowSeconds)
        for exchange in exchanges {
            guard let connection = exchange.connection, exchange.bodyWindowElapsed(now, window, minimum: perWindow) else { continue }
            exchange.answerSlowBody(daemon.server.responder.reject(.bodyTooSlow(bytesPerSecond: limits.minBodyRate), exchange.request))
            if tracked[connection] != nil { tracked[connection]!.refused = true }
            closeSoon(connection)
        }
    }

    /// Answers on the socket itself (no request may have been read yet) and
    /// ends the connection: its write side at once, the rest shortly after,
    /// so that libmicrohttpd closes it even if the client keeps sending.
    private func refuse(_ connection: OpaquePointer, _ rejection: HTTPRejection?) {
        tracked[connection]?.refused = true
        guard let fd = tracked[connection]?.fd, fd >= 0 else { return }
        if daemon.server.tls == nil, let rejection {
            var answer = daemon.server.responder.reject(rejection, HTTPRequest(method: "", path: "", headers: []))
            answer.headers.append(("Connection", "close"))
            // What the client sent so far is read and dropped, so that closing
            // does not reset the connection before it reads the answer.
            Self.drain(fd)
            RawAnswer.send(answer, on: fd)
        }
        shutdown(fd, Int32(SHUT_WR))
        closeSoon(connection)
    }

    private static func drain(_ fd: Int32) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 << 10) { buffer in
            while recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
        }
    }

    /// A second later the read side goes too: libmicrohttpd then sees the
    /// end and frees the slot (the client had a second to read the answer).
    private func closeSoon(_ connection: OpaquePointer) {
        guard let t = tracked[connection], t.fd >= 0 else { return }
        let key = UInt(bitPattern: connection), id = t.id, fd = t.fd
        let daemon = self.daemon
        _ = daemon.loop.schedule(after: .seconds(1)) {
            guard let connection = OpaquePointer(bitPattern: key), daemon.watch.tracked[connection]?.id == id else { return }
            shutdown(fd, Int32(SHUT_RDWR))
            daemon.scheduleRun()
        }
    }
}
