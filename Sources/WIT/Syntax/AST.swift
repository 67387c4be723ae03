// The unresolved syntax of one WIT file. Names are still names here; the
// resolver turns them into the model in `Model/`.

struct Ident: Sendable {
    var name: String
    var offset: Int
}

struct PackageNameSyntax: Sendable {
    var namespace: Ident
    var name: Ident
    var version: String?
    var offset: Int { namespace.offset }

    var resolved: PackageName { PackageName(namespace: namespace.name, name: name.name, version: version) }
}

/// `iface` within the package, or `ns:pkg/iface@version` in another one.
struct UsePath: Sendable {
    enum Kind: Sendable {
        case local(Ident)
        case foreign(namespace: Ident, package: Ident, interface: Ident, version: String?)
    }
    var kind: Kind
    var offset: Int

    var interfaceName: Ident {
        switch kind {
        case .local(let id): return id
        case .foreign(_, _, let iface, _): return iface
        }
    }
}

/// `@since`, `@unstable` and `@deprecated`, of which only `@unstable` changes
/// what is loaded.
struct Gate: Sendable {
    var unstableFeature: String?
    var since: String?
    var deprecated: String?
}

struct Docs: Sendable {
    var lines: [String] = []
    var text: String? { lines.isEmpty ? nil : lines.joined(separator: "\n") }
}

indirect enum TypeSyntax: Sendable {
    case primitive(Primitive, offset: Int)
    case named(Ident)
    case list(TypeSyntax, offset: Int)
    case fixedList(TypeSyntax, count: Int, offset: Int)
    case map(TypeSyntax, TypeSyntax, offset: Int)
    case option(TypeSyntax, offset: Int)
    case result(ok: TypeSyntax?, err: TypeSyntax?, offset: Int)
    case tuple([TypeSyntax], offset: Int)
    case own(Ident)
    case borrow(Ident)
    case future(TypeSyntax?, offset: Int)
    case stream(TypeSyntax?, offset: Int)
}

struct ParamSyntax: Sendable {
    var name: Ident
    var type: TypeSyntax
}

struct FuncSyntax: Sendable {
    var isAsync: Bool
    var params: [ParamSyntax]
    var result: TypeSyntax?
    var offset: Int
}

struct NamedFuncSyntax: Sendable {
    var name: Ident
    var function: FuncSyntax
    var docs: Docs
    var gate: Gate
}

enum ResourceMemberSyntax: Sendable {
    case constructor(FuncSyntax, docs: Docs, gate: Gate, offset: Int)
    case method(NamedFuncSyntax)
    case `static`(NamedFuncSyntax)
}

enum TypeDefBodySyntax: Sendable {
    case alias(TypeSyntax)
    case record([(name: Ident, type: TypeSyntax, docs: Docs)])
    case variant([(name: Ident, type: TypeSyntax?, docs: Docs)])
    case enumeration([(name: Ident, docs: Docs)])
    case flags([(name: Ident, docs: Docs)])
    case resource([ResourceMemberSyntax])
}

struct TypeDefSyntax: Sendable {
    var name: Ident
    var body: TypeDefBodySyntax
    var docs: Docs
    var gate: Gate
}

struct UseSyntax: Sendable {
    var path: UsePath
    var names: [(name: Ident, alias: Ident?)]
    var gate: Gate
}

enum InterfaceItemSyntax: Sendable {
    case use(UseSyntax)
    case type(TypeDefSyntax)
    case function(NamedFuncSyntax)
}

struct InterfaceSyntax: Sendable {
    var name: Ident
    var items: [InterfaceItemSyntax]
    var docs: Docs
    var gate: Gate
}

enum ExternSyntax: Sendable {
    case function(name: Ident, FuncSyntax)
    case interface(name: Ident, items: [InterfaceItemSyntax])
    case path(UsePath)
    /// `key: iface` — a named interface under a plain name.
    case keyedPath(name: Ident, UsePath)
}

enum WorldItemSyntax: Sendable {
    case `import`(ExternSyntax, docs: Docs, gate: Gate)
    case export(ExternSyntax, docs: Docs, gate: Gate)
    case use(UseSyntax)
    case type(TypeDefSyntax)
    case include(UsePath, renames: [(from: Ident, to: Ident)], gate: Gate)
}

struct WorldSyntax: Sendable {
    var name: Ident
    var items: [WorldItemSyntax]
    var docs: Docs
    var gate: Gate
}

/// `use ns:pkg/iface@v as name;` at the top of a file: a file-local name for an interface.
struct TopLevelUseSyntax: Sendable {
    var path: UsePath
    var alias: Ident?
    var gate: Gate
}

enum PackageItemSyntax: Sendable {
    case use(TopLevelUseSyntax)
    case interface(InterfaceSyntax)
    case world(WorldSyntax)
}

/// The items of one package as they appear in one file (or one nested
/// `package … { }` block).
struct PackageBodySyntax: Sendable {
    var name: PackageNameSyntax?
    var items: [PackageItemSyntax]
    var docs: Docs
}

struct FileSyntax: Sendable {
    var source: SourceText
    /// The file's own package (declared by its `package …;` header, or not).
    var main: PackageBodySyntax
    var nested: [PackageBodySyntax]
}
