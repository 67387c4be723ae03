/// What a name in a type scope stands for once resolved. Resources are kept
/// apart from other types because `borrow<…>` and `own<…>` accept only them.
enum NamedType {
    case type(WITType)
    case resource(Resource)

    var asType: WITType {
        switch self {
        case .type(let t): return t
        case .resource(let r): return .own(r)
        }
    }
}

/// The type names visible inside one interface or world: its own type
/// definitions (resolved lazily, so they may be written in any order) and
/// the names brought in by `use`.
final class TypeScope {
    enum Entry {
        case local(TypeDefSyntax)
        case imported(NamedType)
    }

    let owner: String
    let source: SourceText
    private(set) var order: [String] = []
    private var entries: [String: Entry] = [:]
    private var resolved: [String: NamedType] = [:]
    private var inProgress: Set<String> = []

    init(owner: String, source: SourceText) {
        self.owner = owner
        self.source = source
    }

    func error(_ kind: WITError.Kind, _ message: String, at offset: Int) -> WITError {
        WITError(kind, message, at: source.location(offset))
    }

    func declare(_ name: Ident, _ entry: Entry) throws(WITError) {
        guard entries[name.name] == nil else {
            throw error(.duplicateName, "type `\(name.name)` is defined more than once in `\(owner)`", at: name.offset)
        }
        entries[name.name] = entry
        order.append(name.name)
    }

    func isLocal(_ name: String) -> Bool {
        if case .local = entries[name] { return true }
        return false
    }

    func lookup(_ id: Ident) throws(WITError) -> NamedType {
        if let done = resolved[id.name] { return done }
        guard let entry = entries[id.name] else {
            throw error(.unknownName, "unknown type `\(id.name)` in `\(owner)`", at: id.offset)
        }
        switch entry {
        case .imported(let named):
            resolved[id.name] = named
            return named
        case .local(let def):
            guard inProgress.insert(id.name).inserted else {
                throw error(.cycle, "type `\(id.name)` depends on itself", at: id.offset)
            }
            defer { inProgress.remove(id.name) }
            let named = try define(def)
            resolved[id.name] = named
            return named
        }
    }

    func resolve(_ syntax: TypeSyntax) throws(WITError) -> WITType {
        switch syntax {
        case .primitive(let p, _): return .primitive(p)
        case .named(let id): return try lookup(id).asType
        case .list(let t, _): return .list(try resolve(t))
        case .fixedList(let t, let n, _): return .fixedList(try resolve(t), count: n)
        case .map(let k, let v, _): return .map(key: try resolve(k), value: try resolve(v))
        case .option(let t, _): return .option(try resolve(t))
        case .result(let ok, let err, _):
            return .result(ok: try ok.map { (t) throws(WITError) in try resolve(t) },
                           err: try err.map { (t) throws(WITError) in try resolve(t) })
        case .tuple(let ts, _): return .tuple(try ts.map { (t) throws(WITError) in try resolve(t) })
        case .own(let id): return .own(try resource(id, handle: "own"))
        case .borrow(let id): return .borrow(try resource(id, handle: "borrow"))
        case .future(let t, _): return .future(try t.map { (t) throws(WITError) in try resolve(t) })
        case .stream(let t, _): return .stream(try t.map { (t) throws(WITError) in try resolve(t) })
        }
    }

    func resource(_ id: Ident, handle: String) throws(WITError) -> Resource {
        guard case .resource(let r) = try lookup(id) else {
            throw error(.notAResource, "`\(handle)<\(id.name)>`: `\(id.name)` is not a resource type", at: id.offset)
        }
        return r
    }

    private func define(_ def: TypeDefSyntax) throws(WITError) -> NamedType {
        let origin = TypeOrigin(owner: owner, name: def.name.name)
        let docs = def.docs.text
        switch def.body {
        case .alias(let target):
            if case .named(let id) = target { return try lookup(id) }
            return .type(try resolve(target))
        case .record(let fields):
            try checkUnique(fields.map(\.name), what: "field", in: def.name.name)
            let resolvedFields = try fields.map { (f) throws(WITError) in
                RecordType.Field(name: f.name.name, type: try resolve(f.type), docs: f.docs.text)
            }
            return .type(.record(RecordType(origin: origin, fields: resolvedFields, docs: docs)))
        case .variant(let cases):
            try checkUnique(cases.map(\.name), what: "case", in: def.name.name)
            let resolvedCases = try cases.map { (c) throws(WITError) in
                VariantType.Case(name: c.name.name,
                                 type: try c.type.map { (t) throws(WITError) in try resolve(t) },
                                 docs: c.docs.text)
            }
            return .type(.variant(VariantType(origin: origin, cases: resolvedCases, docs: docs)))
        case .enumeration(let cases):
            try checkUnique(cases.map(\.name), what: "case", in: def.name.name)
            return .type(.enumeration(EnumType(origin: origin, cases: cases.map(\.name.name), docs: docs)))
        case .flags(let flags):
            try checkUnique(flags.map(\.name), what: "flag", in: def.name.name)
            return .type(.flags(FlagsType(origin: origin, flags: flags.map(\.name.name), docs: docs)))
        case .resource:
            return .resource(Resource(origin: origin, docs: docs))
        }
    }

    func checkUnique(_ names: [Ident], what: String, in owner: String) throws(WITError) {
        var seen: Set<String> = []
        for n in names where !seen.insert(n.name).inserted {
            throw error(.duplicateName, "\(what) `\(n.name)` appears more than once in `\(owner)`", at: n.offset)
        }
    }
}
