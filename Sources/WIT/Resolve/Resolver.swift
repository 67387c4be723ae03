/// Options that change what is loaded.
public struct LoadOptions: Sendable {
    /// `@unstable(feature = …)` items with one of these features are kept.
    public var features: Set<String>
    /// Keep every `@unstable` item.
    public var allFeatures: Bool

    public init(features: Set<String> = [], allFeatures: Bool = false) {
        self.features = features
        self.allFeatures = allFeatures
    }

    func includes(_ gate: Gate) -> Bool {
        guard let feature = gate.unstableFeature else { return true }
        return allFeatures || features.contains(feature)
    }
}

/// One package's syntax, gathered from every file (or nested block) that
/// contributes to it, with lazily resolved interfaces and worlds.
final class PackageUnit {
    /// A contributing file: its text and the file-local `use … as` names.
    struct Part {
        let source: SourceText
        var aliases: [String: UsePath] = [:]
    }

    final class Item<Syntax> {
        let syntax: Syntax
        let part: Int
        var resolving = false
        init(syntax: Syntax, part: Int) {
            self.syntax = syntax
            self.part = part
        }
    }

    let name: PackageName
    let nameOffset: (SourceText, Int)
    var parts: [Part] = []
    var docs: Docs = Docs()
    var interfaceOrder: [String] = []
    var interfaces: [String: Item<InterfaceSyntax>] = [:]
    var worldOrder: [String] = []
    var worlds: [String: Item<WorldSyntax>] = [:]
    var resolvedInterfaces: [String: ResolvedInterface] = [:]
    var resolvedWorlds: [String: World] = [:]
    var dependencies: Set<PackageName> = []

    init(name: PackageName, nameOffset: (SourceText, Int)) {
        self.name = name
        self.nameOffset = nameOffset
    }
}

/// An interface plus the names it exports to `use`.
struct ResolvedInterface {
    let interface: Interface
    let names: [String: NamedType]
}

struct Resolver {
    let options: LoadOptions
    var units: [PackageName: PackageUnit] = [:]
    var unitOrder: [PackageName] = []

    init(options: LoadOptions) {
        self.options = options
    }

    // MARK: - Gathering

    /// Adds one group (a directory or a file) of parsed files; returns the
    /// name of the group's own package, if it declares one.
    mutating func add(group files: [FileSyntax]) throws(WITError) -> PackageName? {
        var groupName: PackageNameSyntax?
        var groupSource: SourceText?
        for file in files {
            guard let declared = file.main.name else { continue }
            if let previous = groupName, previous.resolved != declared.resolved {
                throw WITError(.invalid, "package `\(declared.resolved)` conflicts with `\(previous.resolved)` declared by another file of the same package",
                               at: file.source.location(declared.offset))
            }
            if groupName == nil {
                groupName = declared
                groupSource = file.source
            }
        }
        var mainUnit: PackageUnit?
        if let groupName, let groupSource {
            mainUnit = try newUnit(groupName, source: groupSource)
        }
        for file in files {
            if !file.main.items.isEmpty || file.main.name != nil {
                guard let unit = mainUnit else {
                    let offset = Self.firstOffset(of: file.main)
                    throw WITError(.syntax, "no `package` header was found in any WIT file of this package; add `package namespace:name;`",
                                   at: file.source.location(offset))
                }
                try addBody(file.main, source: file.source, to: unit)
            }
            for nested in file.nested {
                guard let name = nested.name else { continue }
                let unit = try newUnit(name, source: file.source)
                try addBody(nested, source: file.source, to: unit)
            }
        }
        if let mainUnit { return mainUnit.name }
        return files.last?.nested.last?.name?.resolved
    }

    private static func firstOffset(of body: PackageBodySyntax) -> Int {
        switch body.items.first {
        case .interface(let i): return i.name.offset
        case .world(let w): return w.name.offset
        case .use(let u): return u.path.offset
        case nil: return 0
        }
    }

    private mutating func newUnit(_ name: PackageNameSyntax, source: SourceText) throws(WITError) -> PackageUnit {
        let resolved = name.resolved
        if units[resolved] != nil {
            throw WITError(.duplicateName, "package `\(resolved)` is defined more than once", at: source.location(name.offset))
        }
        let unit = PackageUnit(name: resolved, nameOffset: (source, name.offset))
        units[resolved] = unit
        unitOrder.append(resolved)
        return unit
    }

    private func addBody(_ body: PackageBodySyntax, source: SourceText, to unit: PackageUnit) throws(WITError) {
        let partIndex = unit.parts.count
        var part = PackageUnit.Part(source: source)
        if unit.docs.lines.isEmpty { unit.docs = body.docs }
        func duplicate(_ id: Ident) -> WITError {
            WITError(.duplicateName, "`\(id.name)` is defined more than once in package `\(unit.name)`",
                     at: source.location(id.offset))
        }
        for item in body.items {
            switch item {
            case .interface(let i):
                guard options.includes(i.gate) else { continue }
                if unit.interfaces[i.name.name] != nil || unit.worlds[i.name.name] != nil { throw duplicate(i.name) }
                unit.interfaces[i.name.name] = .init(syntax: i, part: partIndex)
                unit.interfaceOrder.append(i.name.name)
            case .world(let w):
                guard options.includes(w.gate) else { continue }
                if unit.interfaces[w.name.name] != nil || unit.worlds[w.name.name] != nil { throw duplicate(w.name) }
                unit.worlds[w.name.name] = .init(syntax: w, part: partIndex)
                unit.worldOrder.append(w.name.name)
            case .use(let u):
                guard options.includes(u.gate) else { continue }
                let alias = u.alias ?? u.path.interfaceName
                if part.aliases[alias.name] != nil { throw duplicate(alias) }
                part.aliases[alias.name] = u.path
            }
        }
        unit.parts.append(part)
    }

    // MARK: - Resolving everything

    mutating func resolveAll(main: PackageName) throws(WITError) -> Resolve {
        for name in unitOrder {
            let unit = units[name]!
            for (partIndex, part) in unit.parts.enumerated() {
                for (alias, path) in part.aliases.sorted(by: { $0.key < $1.key }) where path.isLocal {
                    if unit.interfaces[path.interfaceName.name] == nil && unit.worlds[path.interfaceName.name] == nil {
                        throw WITError(.unknownName, "`use \(path.interfaceName.name) as \(alias)`: no interface or world named `\(path.interfaceName.name)` in package `\(unit.name)`",
                                       at: unit.parts[partIndex].source.location(path.offset))
                    }
                }
            }
            for iface in unit.interfaceOrder { _ = try interface(iface, in: unit, referencedAt: nil) }
            for world in unit.worldOrder { _ = try self.world(world, in: unit, referencedAt: nil) }
        }
        let order = try topologicalOrder(main: main)
        let packages = order.map { name -> Package in
            let unit = units[name]!
            return Package(name: name,
                           interfaces: unit.interfaceOrder.map { unit.resolvedInterfaces[$0]!.interface },
                           worlds: unit.worldOrder.map { unit.resolvedWorlds[$0]! },
                           docs: unit.docs.text)
        }
        return Resolve(packages: packages, main: packages.last { $0.name == main }!)
    }

    /// Dependencies first, the main package last; a cycle between packages is an error.
    private func topologicalOrder(main: PackageName) throws(WITError) -> [PackageName] {
        var done: Set<PackageName> = []
        var visiting: Set<PackageName> = []
        var out: [PackageName] = []
        func visit(_ name: PackageName) throws(WITError) {
            if done.contains(name) { return }
            let unit = units[name]!
            guard visiting.insert(name).inserted else {
                throw WITError(.cycle, "package `\(name)` depends on itself through its dependencies",
                               at: unit.nameOffset.0.location(unit.nameOffset.1))
            }
            for dep in unit.dependencies.sorted(by: { $0.description < $1.description }) where dep != name {
                try visit(dep)
            }
            visiting.remove(name)
            done.insert(name)
            out.append(name)
        }
        for name in unitOrder where name != main { try visit(name) }
        try visit(main)
        if let last = out.last, last != main, let i = out.firstIndex(of: main) {
            out.remove(at: i)
            out.append(main)
        }
        return out
    }

    // MARK: - Lookups

    private enum Target { case interface, world }

    /// Finds the package and item name a path points to, following file-local aliases.
    private mutating func locate(_ path: UsePath, from unit: PackageUnit, part: Int,
                                 target: Target) throws(WITError) -> (PackageUnit, Ident) {
        let source = unit.parts[part].source
        switch path.kind {
        case .local(let id):
            if let aliased = unit.parts[part].aliases[id.name] {
                if case .local(let inner) = aliased.kind {
                    return (unit, Ident(name: inner.name, offset: id.offset))
                }
                return try locate(aliased, from: unit, part: part, target: target)
            }
            return (unit, id)
        case .foreign(let ns, let pkg, let iface, let version):
            let wanted = PackageName(namespace: ns.name, name: pkg.name, version: version)
            var found = units[wanted]
            if found == nil, version == nil {
                let candidates = units.values.filter { $0.name.namespace == ns.name && $0.name.name == pkg.name }
                if candidates.count == 1 { found = candidates[0] }
            }
            guard let other = found else {
                let known = units.keys.filter { $0.namespace == ns.name && $0.name == pkg.name }.map { "`\($0)`" }.sorted()
                let hint = known.isEmpty ? "is it in `deps/`?" : "loaded versions: \(known.joined(separator: ", "))"
                throw WITError(.missingPackage, "package `\(wanted)` not found; \(hint)", at: source.location(path.offset))
            }
            if other !== unit { unit.dependencies.insert(other.name) }
            return (other, iface)
        }
    }

    mutating func resolveInterfacePath(_ path: UsePath, from unit: PackageUnit, part: Int) throws(WITError) -> ResolvedInterface {
        let (target, id) = try locate(path, from: unit, part: part, target: .interface)
        guard target.interfaces[id.name] != nil else {
            let what = target.worlds[id.name] != nil ? "is a world, not an interface" : "is not an interface of package `\(target.name)`"
            throw WITError(.unknownName, "`\(id.name)` \(what)", at: unit.parts[part].source.location(id.offset))
        }
        return try interface(id.name, in: target, referencedAt: (unit.parts[part].source, id.offset))
    }

    private mutating func resolveWorldPath(_ path: UsePath, from unit: PackageUnit, part: Int) throws(WITError) -> World {
        let (target, id) = try locate(path, from: unit, part: part, target: .world)
        guard target.worlds[id.name] != nil else {
            let what = target.interfaces[id.name] != nil ? "is an interface, not a world" : "is not a world of package `\(target.name)`"
            throw WITError(.unknownName, "`\(id.name)` \(what)", at: unit.parts[part].source.location(id.offset))
        }
        return try world(id.name, in: target, referencedAt: (unit.parts[part].source, id.offset))
    }

    // MARK: - Interfaces

    private mutating func interface(_ name: String, in unit: PackageUnit,
                                    referencedAt: (SourceText, Int)?) throws(WITError) -> ResolvedInterface {
        if let done = unit.resolvedInterfaces[name] { return done }
        let item = unit.interfaces[name]!
        if item.resolving {
            let (source, offset) = referencedAt ?? (unit.parts[item.part].source, item.syntax.name.offset)
            throw WITError(.cycle, "interface `\(unit.name.qualify(name))` depends on itself through `use`",
                           at: source.location(offset))
        }
        item.resolving = true
        defer { item.resolving = false }
        let resolved = try interfaceBody(item.syntax.items, name: name, qualifiedName: unit.name.qualify(name),
                                         docs: item.syntax.docs, unit: unit, part: item.part)
        unit.resolvedInterfaces[name] = resolved
        return resolved
    }

    mutating func interfaceBody(_ items: [InterfaceItemSyntax], name: String?, qualifiedName: String, docs: Docs,
                                unit: PackageUnit, part: Int) throws(WITError) -> ResolvedInterface {
        let scope = TypeScope(owner: qualifiedName, source: unit.parts[part].source)
        var typeDefs: [TypeDefSyntax] = []
        for case .use(let use) in items where options.includes(use.gate) {
            try importNames(use, into: scope, unit: unit, part: part)
        }
        for case .type(let def) in items where options.includes(def.gate) {
            try scope.declare(def.name, .local(def))
            typeDefs.append(def)
        }
        var functions: [Function] = []
        var functionNames: [String: Int] = [:]
        func add(_ f: Function, at offset: Int) throws(WITError) {
            if functionNames[f.name] != nil {
                throw scope.error(.duplicateName, "function `\(f.name)` is defined more than once in `\(qualifiedName)`", at: offset)
            }
            functionNames[f.name] = functions.count
            functions.append(f)
        }
        for item in items {
            switch item {
            case .use:
                continue
            case .type(let def):
                guard options.includes(def.gate) else { continue }
                _ = try scope.lookup(def.name)
                if case .resource(let members) = def.body {
                    for (f, offset) in try resourceFunctions(def, members: members, scope: scope) { try add(f, at: offset) }
                }
            case .function(let f):
                guard options.includes(f.gate) else { continue }
                try add(try function(f.name.name, f.function, kind: .freestanding, docs: f.docs, scope: scope),
                        at: f.name.offset)
            }
        }
        var names: [String: NamedType] = [:]
        var types: [(name: String, type: WITType)] = []
        for n in scope.order {
            let named = try scope.lookup(Ident(name: n, offset: 0))
            names[n] = named
            if scope.isLocal(n) { types.append((n, named.asType)) }
        }
        let iface = Interface(name: name, package: unit.name, qualifiedName: qualifiedName,
                              types: types, functions: functions, docs: docs.text)
        return ResolvedInterface(interface: iface, names: names)
    }

    /// `use path.{a, b as c}`: binds names of another interface in this scope.
    @discardableResult
    private mutating func importNames(_ use: UseSyntax, into scope: TypeScope, unit: PackageUnit,
                                      part: Int) throws(WITError) -> Interface {
        let from = try resolveInterfacePath(use.path, from: unit, part: part)
        for (name, alias) in use.names {
            guard let named = from.names[name.name] else {
                throw scope.error(.unknownName, "type `\(name.name)` is not defined in interface `\(from.interface.qualifiedName)`",
                                  at: name.offset)
            }
            try scope.declare(alias ?? name, .imported(named))
        }
        return from.interface
    }

    private mutating func function(_ name: String, _ syntax: FuncSyntax, kind: Function.Kind, docs: Docs,
                                   scope: TypeScope, leading: [Function.Param] = [],
                                   defaultResult: WITType? = nil) throws(WITError) -> Function {
        try scope.checkUnique(syntax.params.map(\.name), what: "parameter", in: name)
        var params = leading
        for p in syntax.params {
            params.append(Function.Param(name: p.name.name, type: try scope.resolve(p.type)))
        }
        let result = try syntax.result.map { (t) throws(WITError) in try scope.resolve(t) } ?? defaultResult
        return Function(name: name, kind: kind, params: params, result: result,
                        isAsync: syntax.isAsync, docs: docs.text)
    }

    private mutating func resourceFunctions(_ def: TypeDefSyntax, members: [ResourceMemberSyntax],
                                            scope: TypeScope) throws(WITError) -> [(Function, Int)] {
        let resource = try scope.resource(def.name, handle: "own")
        let r = def.name.name
        var out: [(Function, Int)] = []
        for member in members {
            switch member {
            case .constructor(let f, let docs, let gate, let offset):
                guard options.includes(gate) else { continue }
                out.append((try function("[constructor]\(r)", f, kind: .constructor(resource), docs: docs,
                                         scope: scope, defaultResult: .own(resource)), offset))
            case .method(let m):
                guard options.includes(m.gate) else { continue }
                let selfParam = Function.Param(name: "self", type: .borrow(resource))
                out.append((try function("[method]\(r).\(m.name.name)", m.function, kind: .method(resource),
                                         docs: m.docs, scope: scope, leading: [selfParam]), m.name.offset))
            case .static(let m):
                guard options.includes(m.gate) else { continue }
                out.append((try function("[static]\(r).\(m.name.name)", m.function, kind: .static(resource),
                                         docs: m.docs, scope: scope), m.name.offset))
            }
        }
        return out
    }

    // MARK: - Worlds

    private mutating func world(_ name: String, in unit: PackageUnit,
                                referencedAt: (SourceText, Int)?) throws(WITError) -> World {
        if let done = unit.resolvedWorlds[name] { return done }
        let item = unit.worlds[name]!
        if item.resolving {
            let (source, offset) = referencedAt ?? (unit.parts[item.part].source, item.syntax.name.offset)
            throw WITError(.cycle, "world `\(unit.name.qualify(name))` includes itself", at: source.location(offset))
        }
        item.resolving = true
        defer { item.resolving = false }
        let world = try worldBody(item.syntax, unit: unit, part: item.part)
        unit.resolvedWorlds[name] = world
        return world
    }

    private mutating func worldBody(_ syntax: WorldSyntax, unit: PackageUnit, part: Int) throws(WITError) -> World {
        let qualified = unit.name.qualify(syntax.name.name)
        let source = unit.parts[part].source
        let scope = TypeScope(owner: qualified, source: source)
        var imports = WorldItems(world: qualified, direction: "import", source: source)
        var exports = WorldItems(world: qualified, direction: "export", source: source)

        for case .use(let use) in syntax.items where options.includes(use.gate) {
            let iface = try importNames(use, into: scope, unit: unit, part: part)
            imports.addInterface(iface)
        }
        for case .type(let def) in syntax.items where options.includes(def.gate) {
            try scope.declare(def.name, .local(def))
        }
        var types: [(name: String, type: WITType)] = []
        for case .type(let def) in syntax.items where options.includes(def.gate) {
            let named = try scope.lookup(def.name)
            types.append((def.name.name, named.asType))
            if case .resource(let members) = def.body {
                for (f, offset) in try resourceFunctions(def, members: members, scope: scope) {
                    try imports.add(.function(f), key: f.name, at: offset)
                }
            }
        }
        for item in syntax.items {
            switch item {
            case .import(let ext, let docs, let gate):
                guard options.includes(gate) else { continue }
                try externItem(ext, docs: docs, into: &imports, scope: scope, unit: unit, part: part)
            case .export(let ext, let docs, let gate):
                guard options.includes(gate) else { continue }
                try externItem(ext, docs: docs, into: &exports, scope: scope, unit: unit, part: part)
            case .include(let path, let renames, let gate):
                guard options.includes(gate) else { continue }
                let included = try resolveWorldPath(path, from: unit, part: part)
                var map: [String: String] = [:]
                for (from, to) in renames {
                    let known = (included.imports + included.exports).contains { $0.key == from.name }
                    guard known else {
                        throw WITError(.unknownName, "`with { \(from.name) as \(to.name) }`: world `\(included.qualifiedName)` has no import or export named `\(from.name)`",
                                       at: source.location(from.offset))
                    }
                    map[from.name] = to.name
                }
                for i in included.imports { try imports.add(i.renamed(map), key: map[i.key] ?? i.key, at: path.offset) }
                for e in included.exports { try exports.add(e.renamed(map), key: map[e.key] ?? e.key, at: path.offset) }
            case .use, .type:
                continue
            }
        }
        return World(name: syntax.name.name, package: unit.name, imports: imports.items, exports: exports.items,
                     types: types, docs: syntax.docs.text)
    }

    private mutating func externItem(_ ext: ExternSyntax, docs: Docs, into items: inout WorldItems, scope: TypeScope,
                                     unit: PackageUnit, part: Int) throws(WITError) {
        switch ext {
        case .function(let name, let f):
            let function = try function(name.name, f, kind: .freestanding, docs: docs, scope: scope)
            try items.add(.function(function), key: name.name, at: name.offset)
        case .interface(let name, let body):
            let qualified = "\(items.world)[\(items.direction) \(name.name)]"
            let iface = try interfaceBody(body, name: nil, qualifiedName: qualified, docs: docs, unit: unit, part: part)
            try items.add(.keyedInterface(key: name.name, iface.interface), key: name.name, at: name.offset)
        case .path(let path):
            let iface = try resolveInterfacePath(path, from: unit, part: part).interface
            try items.add(.interface(iface), key: iface.qualifiedName, at: path.offset)
        case .keyedPath(let name, let path):
            let iface = try resolveInterfacePath(path, from: unit, part: part).interface
            try items.add(.keyedInterface(key: name.name, iface), key: name.name, at: name.offset)
        }
    }
}

extension UsePath {
    var isLocal: Bool {
        if case .local = kind { return true }
        return false
    }
}

extension WorldItem {
    /// The name the item is known by in its world: a plain name, or the
    /// interface's qualified name.
    var key: String {
        switch self {
        case .interface(let i): return i.qualifiedName
        case .keyedInterface(let key, _): return key
        case .function(let f): return f.name
        }
    }

    func renamed(_ map: [String: String]) -> WorldItem {
        switch self {
        case .interface: return self
        case .keyedInterface(let key, let i): return .keyedInterface(key: map[key] ?? key, i)
        case .function(let f):
            guard let to = map[f.name] else { return self }
            return .function(Function(name: to, kind: f.kind, params: f.params, result: f.result,
                                      isAsync: f.isAsync, docs: f.docs))
        }
    }
}

/// The imports or the exports of a world being built: names must be unique,
/// except that one interface may arrive twice (via `use` and `import`, or
/// through two `include`s).
private struct WorldItems {
    let world: String
    let direction: String
    let source: SourceText
    var items: [WorldItem] = []
    var keys: [String: Int] = [:]

    init(world: String, direction: String, source: SourceText) {
        self.world = world
        self.direction = direction
        self.source = source
    }

    mutating func addInterface(_ iface: Interface) {
        if keys[iface.qualifiedName] == nil {
            keys[iface.qualifiedName] = items.count
            items.append(.interface(iface))
        }
    }

    mutating func add(_ item: WorldItem, key: String, at offset: Int) throws(WITError) {
        if let existing = keys[key] {
            if case .interface(let a) = items[existing], case .interface(let b) = item, a === b { return }
            if case .keyedInterface(_, let a) = items[existing], case .keyedInterface(_, let b) = item, a === b { return }
            throw WITError(.duplicateName, "`\(key)` is \(direction)ed more than once in world `\(world)`",
                           at: source.location(offset))
        }
        keys[key] = items.count
        items.append(item)
    }
}
