/// How a call on a member ended, as the caller tells the pool (through
/// `PoolCall.finished`). The pool alone decides what it says about the
/// member's health: only what the backend did counts, never what a caller
/// asked for.
public enum CallOutcome: Sendable, Equatable {
    /// The member answered in full: a result, or an error it chose to send.
    case completed
    /// The deadline passed before the answer was complete. `chosenByCaller`:
    /// the caller asked for a deadline shorter than the gateway's own, so
    /// the timeout says how impatient the caller is, not how the member is.
    case deadlineExceeded(chosenByCaller: Bool)
    /// The member closed the connection before its answer was complete, or
    /// sent bytes that do not decode as the answer.
    case protocolError
}
