public enum Primitive: String, Sendable, Hashable, CaseIterable {
    case bool, u8, u16, u32, u64, s8, s16, s32, s64, f32, f64, char, string
    case errorContext = "error-context"
}

/// A resolved WIT type: aliases are gone, every name is bound. WIT forbids
/// recursive types, so a finite tree describes every type; named composite
/// types are shared class instances so a large type costs one allocation.
public indirect enum WITType: Sendable, Hashable {
    case primitive(Primitive)
    case list(WITType)
    case fixedList(WITType, count: Int)
    case map(key: WITType, value: WITType)
    case option(WITType)
    case result(ok: WITType?, err: WITType?)
    case tuple([WITType])
    case record(RecordType)
    case variant(VariantType)
    case enumeration(EnumType)
    case flags(FlagsType)
    case own(Resource)
    case borrow(Resource)
    case future(WITType?)
    case stream(WITType?)
}

extension WITType {
    /// Whether a value of this type may hold a stream or a future, whose
    /// contents arrive later, on paths of their own.
    public var containsAsync: Bool {
        switch self {
        case .future, .stream: return true
        case .primitive, .enumeration, .flags, .own, .borrow: return false
        case .list(let t), .fixedList(let t, _), .option(let t): return t.containsAsync
        case .map(let k, let v): return k.containsAsync || v.containsAsync
        case .result(let ok, let err): return (ok?.containsAsync ?? false) || (err?.containsAsync ?? false)
        case .tuple(let ts): return ts.contains { $0.containsAsync }
        case .record(let r): return r.fields.contains { $0.type.containsAsync }
        case .variant(let v): return v.cases.contains { $0.type?.containsAsync ?? false }
        }
    }
}

/// Where a named type was defined, for stable schema names and messages.
public struct TypeOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The defining interface or world as the signature listing spells it,
    /// e.g. `wasi:io/streams@0.2.0` or `my:pkg/w[import key]`.
    public let owner: String
    public let name: String
    public var description: String { "\(owner).\(name)" }
}

public final class RecordType: Sendable, Hashable {
    public struct Field: Sendable {
        public let name: String
        public let type: WITType
        public let docs: String?
    }
    public let origin: TypeOrigin
    public let fields: [Field]
    public let docs: String?

    init(origin: TypeOrigin, fields: [Field], docs: String?) {
        self.origin = origin
        self.fields = fields
        self.docs = docs
    }

    public static func == (a: RecordType, b: RecordType) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

public final class VariantType: Sendable, Hashable {
    public struct Case: Sendable {
        public let name: String
        public let type: WITType?
        public let docs: String?
    }
    public let origin: TypeOrigin
    public let cases: [Case]
    public let docs: String?

    init(origin: TypeOrigin, cases: [Case], docs: String?) {
        self.origin = origin
        self.cases = cases
        self.docs = docs
    }

    public static func == (a: VariantType, b: VariantType) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

public final class EnumType: Sendable, Hashable {
    public let origin: TypeOrigin
    public let cases: [String]
    public let docs: String?

    init(origin: TypeOrigin, cases: [String], docs: String?) {
        self.origin = origin
        self.cases = cases
        self.docs = docs
    }

    public static func == (a: EnumType, b: EnumType) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

public final class FlagsType: Sendable, Hashable {
    public let origin: TypeOrigin
    public let flags: [String]
    public let docs: String?

    init(origin: TypeOrigin, flags: [String], docs: String?) {
        self.origin = origin
        self.flags = flags
        self.docs = docs
    }

    public static func == (a: FlagsType, b: FlagsType) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

public final class Resource: Sendable, Hashable {
    public let origin: TypeOrigin
    public let docs: String?

    init(origin: TypeOrigin, docs: String?) {
        self.origin = origin
        self.docs = docs
    }

    public var name: String { origin.name }
    public static func == (a: Resource, b: Resource) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}
