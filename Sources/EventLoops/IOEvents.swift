import CSystemShims

/// What a descriptor is ready for, as the loop reports it.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let read = IOEvents(rawValue: WRPC_IO_READ)
    public static let write = IOEvents(rawValue: WRPC_IO_WRITE)
    /// The peer hung up or the socket failed (also reported as read and write).
    public static let hangup = IOEvents(rawValue: WRPC_IO_HANGUP)
}

/// What a registration asks the loop to watch for.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let read = Interest(rawValue: WRPC_WANT_READ)
    public static let write = Interest(rawValue: WRPC_WANT_WRITE)
    public static let hangup = Interest(rawValue: WRPC_WANT_HANGUP)
    /// Report changes only (edge-triggered); the owner reads until EAGAIN.
    public static let edge = Interest(rawValue: WRPC_WANT_EDGE)
    /// For a descriptor watched by several loops (a shared listener): wake one.
    public static let exclusive = Interest(rawValue: WRPC_WANT_EXCLUSIVE)
    /// Report once, then stay silent until re-armed with `modify`.
    public static let oneShot = Interest(rawValue: WRPC_WANT_ONESHOT)
}

/// Told when its descriptor is ready; always called on the loop's thread.
public protocol IOHandler: AnyObject, Sendable {
    func ready(_ events: IOEvents)
}
