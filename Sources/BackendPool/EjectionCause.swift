/// Why a member is out, which decides whether a pool in panic still calls it.
enum EjectionCause: Sendable {
    /// It refused a connection, or did not open one in time: calling it
    /// again can only fail the same way.
    case connect
    /// Its calls failed and it completed nothing for a while: a judgement
    /// from outcomes, which may be wrong (every member slow under the same
    /// load), so a pool with too few healthy members calls it anyway.
    case failures
}
