#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WRPCTransport

/// A listener keeps serving through one client's failed connection and
/// through a shortage; only a broken listener stops it.
@Suite struct AcceptFailureTests {
    @Test func onlyABrokenListenerIsFatal() {
        #expect(AcceptFailure(errno: EAGAIN) == .wait)
        for code in [EINTR, ECONNABORTED, EPROTO, ENETUNREACH, EHOSTUNREACH, EPERM] {
            #expect(AcceptFailure(errno: code) == .retry, "errno \(code)")
        }
        for code in [EMFILE, ENFILE, ENOBUFS, ENOMEM] {
            #expect(AcceptFailure(errno: code) == .backOff, "errno \(code)")
        }
        for code in [EBADF, EINVAL, ENOTSOCK, EFAULT] {
            #expect(AcceptFailure(errno: code) == .fatal, "errno \(code)")
        }
    }
}
