import EdgePolicy
import Locking

/// What middleware learn about a request on its way in (modelled on
/// Hummingbird 2's request context): who sent it, and headers every answer
/// to it carries. Read again when the answer's head goes out and when the
/// request is logged.
public final class RequestContext: Sendable {
    public let requestID: String
    private let state = Locked<State>(State())

    struct State {
        var identity: Identity?
        var responseHeaders: [(String, String)] = []
    }

    public init(requestID: String) {
        self.requestID = requestID
    }

    /// The authenticated caller, if any.
    public var identity: Identity? {
        get { state.withLock { $0.identity } }
        set { state.withLock { $0.identity = newValue } }
    }

    /// Headers added to the response, whoever writes it.
    public var responseHeaders: [(String, String)] { state.withLock { $0.responseHeaders } }

    public func addResponseHeaders(_ headers: [(String, String)]) {
        state.withLock { $0.responseHeaders += headers }
    }
}
