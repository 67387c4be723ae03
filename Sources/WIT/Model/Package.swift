public struct PackageName: Sendable, Hashable, CustomStringConvertible {
    public let namespace: String
    public let name: String
    public let version: String?

    public init(namespace: String, name: String, version: String?) {
        self.namespace = namespace
        self.name = name
        self.version = version
    }

    /// `ns:name@version`, as in a `package` header.
    public var description: String { "\(namespace):\(name)\(version.map { "@\($0)" } ?? "")" }

    /// `ns:name/item@version`: how interfaces and worlds of this package are named.
    public func qualify(_ item: String) -> String {
        "\(namespace):\(name)/\(item)\(version.map { "@\($0)" } ?? "")"
    }
}

public struct Function: Sendable {
    public enum Kind: Sendable {
        case freestanding
        case method(Resource)
        case `static`(Resource)
        case constructor(Resource)
    }

    public struct Param: Sendable {
        public let name: String
        public let type: WITType
    }

    /// The component-model name: `f`, `[method]r.m`, `[static]r.s`, `[constructor]r`.
    public let name: String
    public let kind: Kind
    public let params: [Param]
    public let result: WITType?
    public let isAsync: Bool
    public let docs: String?

    /// The name wRPC puts in the invocation header: the kind prefix dropped.
    public var wireName: String {
        guard name.hasPrefix("["), let close = name.firstIndex(of: "]") else { return name }
        return String(name[name.index(after: close)...])
    }
}

public final class Interface: Sendable {
    /// nil for an inline `import x: interface { … }` of a world.
    public let name: String?
    public let package: PackageName
    /// How the signature listing and type origins spell this interface.
    public let qualifiedName: String
    public let types: [(name: String, type: WITType)]
    public let functions: [Function]
    public let docs: String?

    init(name: String?, package: PackageName, qualifiedName: String,
         types: [(name: String, type: WITType)], functions: [Function], docs: String?) {
        self.name = name
        self.package = package
        self.qualifiedName = qualifiedName
        self.types = types
        self.functions = functions
        self.docs = docs
    }

    public func function(named name: String) -> Function? {
        functions.first { $0.name == name }
    }
}

public enum WorldItem: Sendable {
    /// A named interface (`import wasi:io/streams@0.2.0;`).
    case interface(Interface)
    /// An interface under a plain name: inline (`import key: interface { … }`)
    /// or a named one (`import key: store;`).
    case keyedInterface(key: String, Interface)
    case function(Function)
}

public final class World: Sendable {
    public let name: String
    public let package: PackageName
    public let qualifiedName: String
    public let imports: [WorldItem]
    public let exports: [WorldItem]
    public let types: [(name: String, type: WITType)]
    public let docs: String?

    init(name: String, package: PackageName, imports: [WorldItem], exports: [WorldItem],
         types: [(name: String, type: WITType)], docs: String?) {
        self.name = name
        self.package = package
        self.qualifiedName = package.qualify(name)
        self.imports = imports
        self.exports = exports
        self.types = types
        self.docs = docs
    }
}

public final class Package: Sendable {
    public let name: PackageName
    public let interfaces: [Interface]
    public let worlds: [World]
    public let docs: String?

    init(name: PackageName, interfaces: [Interface], worlds: [World], docs: String?) {
        self.name = name
        self.interfaces = interfaces
        self.worlds = worlds
        self.docs = docs
    }

    public func interface(named name: String) -> Interface? { interfaces.first { $0.name == name } }
    public func world(named name: String) -> World? { worlds.first { $0.name == name } }
}

/// Everything loaded from one path: the main package and its dependencies,
/// each dependency before the packages that use it.
public struct Resolve: Sendable {
    public let packages: [Package]
    public let main: Package
}
