#if canImport(Glibc)
import Glibc
#endif

/// What a listener does after `accept` failed with an `errno`.
enum AcceptFailure: Equatable {
    /// Try again now: nothing is wrong with the listener.
    case retry
    /// Nothing is pending yet: wait until the listener is readable.
    case wait
    /// Out of a resource (descriptors, memory): try again after a pause
    /// rather than spin, and never stop serving for it.
    case backOff
    /// The listener itself is unusable.
    case fatal

    init(errno code: Int32) {
        switch code {
        case EAGAIN, EWOULDBLOCK:
            self = .wait
        // Linux hands a new connection's pending network error to accept(2);
        // its manual says to treat these like EAGAIN, i.e. go on accepting.
        // Stopping would end the server for one client's bad connection.
        case EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
             EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EPERM:
            self = .retry
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            self = .backOff
        default:
            self = .fatal
        }
    }
}
