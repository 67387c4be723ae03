import CSystemShims
import Foundation

/// The floor for any proxy with a process of its own: this binary, started
/// again as `wrpc-gateway-bench --relay PORT TARGET_PORT`, accepts on
/// 127.0.0.1:PORT, connects each connection to 127.0.0.1:TARGET_PORT and
/// moves the bytes both ways with splice(2) on one epoll thread. It parses
/// nothing and never copies a byte into its own memory, so a row through it
/// says what one more loopback hop costs on this machine, whatever the
/// proxy does with the bytes.
enum SpliceRelay {
    /// What a table's caption says of the relay's rows.
    static let caption = "a splice relay (this bench in a process of its own, moving the bytes with splice(2) on one epoll thread, parsing nothing, copying none into its memory)"

    /// Serves until the process is ended.
    static func serve(port: Int, target: Int) throws -> Never {
        let listener = try listen(port: port)
        let poll = wrpc_epoll_create()
        guard poll >= 0, wrpc_epoll_set(poll, listener, 0, WRPC_WANT_READ) == 0 else { throw BenchError("relay: epoll: errno \(errno)") }
        var pairs: [Int32: Pair] = [:]
        var fds = [Int32](repeating: 0, count: 256)
        var flags = [UInt32](repeating: 0, count: 256)
        while true {
            let n = wrpc_epoll_wait(poll, &fds, &flags, 256, -1)
            guard n >= 0 else {
                if errno == EINTR { continue }
                throw BenchError("relay: epoll_wait: errno \(errno)")
            }
            for i in 0..<Int(n) {
                let fd = fds[i]
                if fd == listener {
                    acceptAll(listener, target: target, poll: poll, into: &pairs)
                } else if let pair = pairs[fd], !pair.pump() {
                    pairs[pair.client] = nil
                    pairs[pair.server] = nil
                    pair.close()
                }
            }
        }
    }

    private static func acceptAll(_ listener: Int32, target: Int, poll: Int32, into pairs: inout [Int32: Pair]) {
        while true {
            let client = wrpc_accept(listener)
            guard client >= 0 else { return }
            // A loopback connect to a listening port completes in the call.
            guard let server = try? connect(port: target), let pair = Pair(client: client, server: server) else {
                Glibc.close(client)
                continue
            }
            for fd in [client, server] {
                noDelay(fd)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = wrpc_epoll_set(poll, fd, 0, WRPC_WANT_READ | WRPC_WANT_WRITE | WRPC_WANT_HANGUP | WRPC_WANT_EDGE)
            }
            pairs[client] = pair
            pairs[server] = pair
            if !pair.pump() {
                pairs[client] = nil
                pairs[server] = nil
                pair.close()
            }
        }
    }

    /// A client connection, its connection to the target, and a pipe each way.
    private final class Pair {
        let client: Int32
        let server: Int32
        private var up: Direction
        private var down: Direction

        init?(client: Int32, server: Int32) {
            guard let up = Direction(from: client, to: server) else { return nil }
            guard let down = Direction(from: server, to: client) else {
                up.close()
                return nil
            }
            self.client = client
            self.server = server
            self.up = up
            self.down = down
        }

        /// Moves what can move each way (edge-triggered: until neither way
        /// can); false once both ways have ended or one failed.
        func pump() -> Bool {
            guard up.pump(), down.pump() else { return false }
            return !(up.ended && down.ended)
        }

        func close() {
            up.close()
            down.close()
            Glibc.close(client)
            Glibc.close(server)
        }
    }

    /// One way of a pair: socket → pipe → socket.
    private struct Direction {
        let from: Int32
        let to: Int32
        private let pipe: (read: Int32, write: Int32)
        private var inPipe = 0
        private var endOfInput = false
        private(set) var ended = false

        init?(from: Int32, to: Int32) {
            var fds: [Int32] = [0, 0]
            guard wrpc_sized_pipe(&fds, 1 << 20) == 0 else { return nil }
            self.from = from
            self.to = to
            pipe = (fds[0], fds[1])
        }

        /// False when a splice failed.
        mutating func pump() -> Bool {
            while !ended {
                var moved = false
                if !endOfInput {
                    let n = wrpc_splice(from, pipe.write, 1 << 20)
                    if n > 0 { inPipe += n; moved = true }
                    else if n == 0 { endOfInput = true; moved = true }
                    else if errno != EAGAIN { return false }
                }
                if inPipe > 0 {
                    let n = wrpc_splice(pipe.read, to, inPipe)
                    if n > 0 { inPipe -= n; moved = true }
                    else if n < 0, errno != EAGAIN { return false }
                }
                if endOfInput, inPipe == 0 {
                    shutdown(to, Int32(SHUT_WR))
                    ended = true
                }
                if !moved { break }
            }
            return true
        }

        func close() {
            Glibc.close(pipe.read)
            Glibc.close(pipe.write)
        }
    }

    private static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("relay: socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 1024) == 0 else { throw BenchError("relay: bind/listen on \(port): errno \(errno)") }
        return fd
    }

    private static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("relay: socket: errno \(errno)") }
        var address = loopback(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw BenchError("relay: connect to \(port): errno \(errno)")
        }
        return fd
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private static func noDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
