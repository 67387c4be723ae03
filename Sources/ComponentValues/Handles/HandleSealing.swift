import WIT

/// What resource handles look like to the JSON side, for a caller that does
/// not hand raw handle bytes out (the gateway gives clients signed tokens
/// naming the backend that made each handle). The codec calls it only for
/// values of `own<T>` and `borrow<T>` types; without one, handles are
/// base64 like any bytes.
public protocol HandleSealing: Sendable {
    /// The text a client gets for `handle`, a handle of `resource` (its WIT
    /// origin, e.g. `ns:pkg/iface.bucket`) that a backend returned. Only
    /// characters that need no escaping in a JSON string.
    func seal(_ handle: UnsafeBufferPointer<UInt8>, resource: String) -> String

    /// The handle bytes `token` stands for and where they came from; throws
    /// when `token` is not one `seal` made for `resource`.
    func open(_ token: String, resource: String) throws(HandleRefusal) -> OpenedHandle
}

/// A token's contents.
public struct OpenedHandle: Sendable, Equatable {
    public let bytes: [UInt8]
    /// Whatever the sealing names as the handle's source; opaque to the codec.
    public let origin: String

    public init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }
}

/// Why a token was refused, for the client.
public struct HandleRefusal: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }
}

/// A handle found while encoding: its origin and where it sat in the JSON.
public struct HandleOrigin: Sendable, Equatable {
    public let origin: String
    /// A JSON Pointer (RFC 6901), e.g. `/self`.
    public let pointer: String

    public init(origin: String, pointer: String) {
        self.origin = origin
        self.pointer = pointer
    }
}

extension WITType {
    /// Whether a value of this type may hold a resource handle.
    public var containsHandle: Bool {
        switch self {
        case .own, .borrow: return true
        case .primitive, .enumeration, .flags, .future(nil), .stream(nil): return false
        case .list(let t), .fixedList(let t, _), .option(let t), .future(let t?), .stream(let t?): return t.containsHandle
        case .map(let k, let v): return k.containsHandle || v.containsHandle
        case .result(let ok, let err): return (ok?.containsHandle ?? false) || (err?.containsHandle ?? false)
        case .tuple(let ts): return ts.contains { $0.containsHandle }
        case .record(let r): return r.fields.contains { $0.type.containsHandle }
        case .variant(let v): return v.cases.contains { $0.type?.containsHandle ?? false }
        }
    }
}
