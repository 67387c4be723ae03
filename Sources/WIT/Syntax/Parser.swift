/// Recursive-descent parser for one WIT file, following the grammar of the
/// Component Model's WIT.md.
struct Parser {
    private let source: SourceText
    private let tokens: [Token]
    private var index = 0

    static func parse(_ source: SourceText) throws(WITError) -> FileSyntax {
        var parser = Parser(source: source, tokens: try Lexer.tokenize(source))
        return try parser.file()
    }

    private init(source: SourceText, tokens: [Token]) {
        self.source = source
        self.tokens = tokens
    }

    // MARK: - Token helpers

    private var current: Token { tokens[index] }
    private func peekKind(_ ahead: Int = 1) -> TokenKind {
        tokens[min(index + ahead, tokens.count - 1)].kind
    }

    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func error(_ message: String, at offset: Int? = nil) -> WITError {
        WITError(.syntax, message, at: source.location(offset ?? current.offset))
    }

    private func unexpected(_ expected: String) -> WITError {
        error("expected \(expected), found \(current.kind.display)")
    }

    private mutating func eat(_ p: Punct) -> Bool {
        if current.kind == .punct(p) { index += 1; return true }
        return false
    }

    private mutating func eat(_ k: Keyword) -> Bool {
        if current.kind == .keyword(k) { index += 1; return true }
        return false
    }

    private mutating func expect(_ p: Punct) throws(WITError) {
        guard eat(p) else { throw unexpected("`\(p.rawValue)`") }
    }

    private mutating func expect(_ k: Keyword) throws(WITError) {
        guard eat(k) else { throw unexpected("keyword `\(k.rawValue)`") }
    }

    private mutating func identifier(_ what: String = "an identifier") throws(WITError) -> Ident {
        if case .identifier(let name, _) = current.kind {
            let offset = current.offset
            index += 1
            return Ident(name: name, offset: offset)
        }
        if case .keyword(let k) = current.kind {
            throw error("expected \(what), found keyword `\(k.rawValue)` (write `%\(k.rawValue)` to use it as a name)")
        }
        throw unexpected(what)
    }

    private func isIdentifier(_ kind: TokenKind) -> Bool {
        if case .identifier = kind { return true }
        return false
    }

    // MARK: - Files and packages

    private mutating func file() throws(WITError) -> FileSyntax {
        let headerDocs = Docs(lines: current.docs)
        var mainName: PackageNameSyntax?
        var mainItems: [PackageItemSyntax] = []
        var nested: [PackageBodySyntax] = []

        // A `package` header ends in `;`; a nested package is `package x { … }`.
        var sawItem = false
        while current.kind != .eof {
            let docs = Docs(lines: current.docs)
            let gate = try gate()
            if current.kind == .keyword(.package) {
                let offset = current.offset
                index += 1
                let name = try packageName()
                if eat(.semicolon) {
                    if mainName != nil {
                        throw error("a file may have only one `package` header", at: offset)
                    }
                    if sawItem || !nested.isEmpty {
                        throw error("the `package` header must come before every item", at: offset)
                    }
                    mainName = name
                    continue
                }
                try expect(.lbrace)
                var items: [PackageItemSyntax] = []
                while !eat(.rbrace) {
                    if current.kind == .eof { throw unexpected("`}` closing package `\(name.resolved)`") }
                    let itemDocs = Docs(lines: current.docs)
                    let itemGate = try self.gate()
                    if current.kind == .keyword(.package) {
                        throw error("packages cannot be nested inside packages")
                    }
                    items.append(try packageItem(docs: itemDocs, gate: itemGate))
                }
                nested.append(PackageBodySyntax(name: name, items: items, docs: docs))
                continue
            }
            sawItem = true
            mainItems.append(try packageItem(docs: docs, gate: gate))
        }
        return FileSyntax(source: source,
                          main: PackageBodySyntax(name: mainName, items: mainItems, docs: headerDocs),
                          nested: nested)
    }

    private mutating func packageName() throws(WITError) -> PackageNameSyntax {
        let namespace = try identifier("a package namespace")
        try expect(.colon)
        let name = try identifier("a package name")
        let version = try optionalVersion()
        return PackageNameSyntax(namespace: namespace, name: name, version: version)
    }

    private mutating func optionalVersion() throws(WITError) -> String? {
        guard eat(.at) else { return nil }
        switch current.kind {
        case .version(let v):
            index += 1
            try validateVersion(v, at: tokens[index - 1].offset)
            return v
        case .integer(let v):
            throw error("`\(v)` is not a semantic version: expected MAJOR.MINOR.PATCH")
        default:
            throw unexpected("a semantic version")
        }
    }

    private func validateVersion(_ v: String, at offset: Int) throws(WITError) {
        var core = Substring(v)
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        if let dash = core.firstIndex(of: "-") { core = core[..<dash] }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw error("`\(v)` is not a semantic version: expected MAJOR.MINOR.PATCH", at: offset)
        }
    }

    private mutating func packageItem(docs: Docs, gate: Gate) throws(WITError) -> PackageItemSyntax {
        switch current.kind {
        case .keyword(.interface):
            index += 1
            let name = try identifier("an interface name")
            let items = try interfaceBody()
            return .interface(InterfaceSyntax(name: name, items: items, docs: docs, gate: gate))
        case .keyword(.world):
            index += 1
            let name = try identifier("a world name")
            try expect(.lbrace)
            var items: [WorldItemSyntax] = []
            while !eat(.rbrace) {
                items.append(try worldItem())
            }
            return .world(WorldSyntax(name: name, items: items, docs: docs, gate: gate))
        case .keyword(.use):
            index += 1
            let path = try usePath()
            var alias: Ident?
            if eat(.as) { alias = try identifier() }
            try expect(.semicolon)
            return .use(TopLevelUseSyntax(path: path, alias: alias, gate: gate))
        default:
            throw unexpected("`interface`, `world`, `use` or `package`")
        }
    }

    // MARK: - Gates (`@since`, `@unstable`, `@deprecated`)

    private mutating func gate() throws(WITError) -> Gate {
        var gate = Gate()
        while current.kind == .punct(.at) {
            index += 1
            let attr = try identifier("an attribute name")
            try expect(.lparen)
            var fields: [String: String] = [:]
            while !eat(.rparen) {
                let key = try identifier("an attribute field")
                try expect(.equals)
                switch current.kind {
                case .version(let v), .integer(let v), .identifier(let v, _):
                    index += 1
                    fields[key.name] = v
                default:
                    throw unexpected("a value for `\(key.name)`")
                }
                if !eat(.comma) {
                    try expect(.rparen)
                    break
                }
            }
            switch attr.name {
            case "since":
                guard let v = fields["version"] else { throw error("`@since` needs `version = …`", at: attr.offset) }
                gate.since = v
            case "unstable":
                guard let f = fields["feature"] else { throw error("`@unstable` needs `feature = …`", at: attr.offset) }
                gate.unstableFeature = f
            case "deprecated":
                guard let v = fields["version"] else { throw error("`@deprecated` needs `version = …`", at: attr.offset) }
                gate.deprecated = v
            default:
                throw error("unknown attribute `@\(attr.name)`; expected `@since`, `@unstable` or `@deprecated`", at: attr.offset)
            }
        }
        return gate
    }

    // MARK: - Interfaces

    private mutating func interfaceBody() throws(WITError) -> [InterfaceItemSyntax] {
        try expect(.lbrace)
        var items: [InterfaceItemSyntax] = []
        while !eat(.rbrace) {
            let docs = Docs(lines: current.docs)
            let gate = try gate()
            switch current.kind {
            case .keyword(.use):
                items.append(.use(try useItem(gate: gate)))
            case .keyword(.type), .keyword(.record), .keyword(.variant), .keyword(.enum),
                 .keyword(.flags), .keyword(.resource):
                items.append(.type(try typeDef(docs: docs, gate: gate)))
            case .identifier:
                let name = try identifier()
                try expect(.colon)
                let function = try funcType()
                try expect(.semicolon)
                items.append(.function(NamedFuncSyntax(name: name, function: function, docs: docs, gate: gate)))
            case .eof:
                throw unexpected("`}`")
            default:
                throw unexpected("a type, function or `use` in an interface")
            }
        }
        return items
    }

    private mutating func useItem(gate: Gate) throws(WITError) -> UseSyntax {
        try expect(.use)
        let path = try usePath()
        try expect(.dot)
        try expect(.lbrace)
        var names: [(name: Ident, alias: Ident?)] = []
        while !eat(.rbrace) {
            let name = try identifier()
            var alias: Ident?
            if eat(.as) { alias = try identifier() }
            names.append((name, alias))
            if !eat(.comma) {
                try expect(.rbrace)
                break
            }
        }
        if names.isEmpty { throw error("`use` must name at least one type", at: path.offset) }
        try expect(.semicolon)
        return UseSyntax(path: path, names: names, gate: gate)
    }

    private mutating func usePath() throws(WITError) -> UsePath {
        let first = try identifier("an interface name or `namespace:package/interface`")
        guard eat(.colon) else { return UsePath(kind: .local(first), offset: first.offset) }
        let package = try identifier("a package name")
        try expect(.slash)
        let iface = try identifier("an interface name")
        let version = try optionalVersion()
        return UsePath(kind: .foreign(namespace: first, package: package, interface: iface, version: version),
                       offset: first.offset)
    }

    private mutating func funcType() throws(WITError) -> FuncSyntax {
        let offset = current.offset
        let isAsync = eat(.async)
        try expect(.func)
        let params = try paramList()
        var result: TypeSyntax?
        if eat(.arrow) { result = try type() }
        return FuncSyntax(isAsync: isAsync, params: params, result: result, offset: offset)
    }

    private mutating func paramList() throws(WITError) -> [ParamSyntax] {
        try expect(.lparen)
        var params: [ParamSyntax] = []
        while !eat(.rparen) {
            let name = try identifier("a parameter name")
            try expect(.colon)
            params.append(ParamSyntax(name: name, type: try type()))
            if !eat(.comma) {
                try expect(.rparen)
                break
            }
        }
        return params
    }

    // MARK: - Type definitions

    private mutating func typeDef(docs: Docs, gate: Gate) throws(WITError) -> TypeDefSyntax {
        let keyword = advance()
        let name = try identifier("a type name")
        let body: TypeDefBodySyntax
        switch keyword.kind {
        case .keyword(.type):
            try expect(.equals)
            body = .alias(try type())
            try expect(.semicolon)
        case .keyword(.record):
            body = .record(try braceList { (p: inout Parser) throws(WITError) in
                let docs = Docs(lines: p.current.docs)
                let field = try p.identifier("a field name")
                try p.expect(.colon)
                return (field, try p.type(), docs)
            })
        case .keyword(.variant):
            body = .variant(try braceList { (p: inout Parser) throws(WITError) in
                let docs = Docs(lines: p.current.docs)
                let c = try p.identifier("a case name")
                var payload: TypeSyntax?
                if p.eat(.lparen) {
                    payload = try p.type()
                    try p.expect(.rparen)
                }
                return (c, payload, docs)
            })
        case .keyword(.enum):
            body = .enumeration(try braceList { (p: inout Parser) throws(WITError) in
                let docs = Docs(lines: p.current.docs)
                return (try p.identifier("a case name"), docs)
            })
        case .keyword(.flags):
            body = .flags(try braceList { (p: inout Parser) throws(WITError) in
                let docs = Docs(lines: p.current.docs)
                return (try p.identifier("a flag name"), docs)
            })
        default:
            body = .resource(try resourceBody())
        }
        return TypeDefSyntax(name: name, body: body, docs: docs, gate: gate)
    }

    /// `{ a, b, c }` with an optional trailing comma.
    private mutating func braceList<T>(_ element: (inout Parser) throws(WITError) -> T) throws(WITError) -> [T] {
        try expect(.lbrace)
        var out: [T] = []
        while !eat(.rbrace) {
            out.append(try element(&self))
            if !eat(.comma) {
                try expect(.rbrace)
                break
            }
        }
        return out
    }

    private mutating func resourceBody() throws(WITError) -> [ResourceMemberSyntax] {
        if eat(.semicolon) { return [] }
        try expect(.lbrace)
        var members: [ResourceMemberSyntax] = []
        while !eat(.rbrace) {
            let docs = Docs(lines: current.docs)
            let gate = try gate()
            if current.kind == .keyword(.constructor) {
                let offset = current.offset
                index += 1
                let params = try paramList()
                var result: TypeSyntax?
                if eat(.arrow) { result = try type() }
                try expect(.semicolon)
                members.append(.constructor(FuncSyntax(isAsync: false, params: params, result: result, offset: offset),
                                            docs: docs, gate: gate, offset: offset))
                continue
            }
            if current.kind == .eof { throw unexpected("`}`") }
            let name = try identifier("a method name or `constructor`")
            try expect(.colon)
            let isStatic = eat(.static)
            let function = try funcType()
            try expect(.semicolon)
            let named = NamedFuncSyntax(name: name, function: function, docs: docs, gate: gate)
            members.append(isStatic ? .static(named) : .method(named))
        }
        return members
    }

    // MARK: - Types

    private mutating func type() throws(WITError) -> TypeSyntax {
        let offset = current.offset
        switch current.kind {
        case .keyword(let k):
            index += 1
            if let p = Self.primitive(k) { return .primitive(p, offset: offset) }
            switch k {
            case .list:
                try expect(.langle)
                let element = try type()
                if eat(.comma) {
                    guard case .integer(let text) = current.kind else { throw unexpected("a list length") }
                    guard let n = Int(text), n > 0, n <= Int(UInt32.max) else {
                        throw error("fixed-length list size `\(text)` must be between 1 and 4294967295")
                    }
                    index += 1
                    try expect(.rangle)
                    return .fixedList(element, count: n, offset: offset)
                }
                try expect(.rangle)
                return .list(element, offset: offset)
            case .option:
                try expect(.langle)
                let t = try type()
                try expect(.rangle)
                return .option(t, offset: offset)
            case .result:
                guard eat(.langle) else { return .result(ok: nil, err: nil, offset: offset) }
                var ok: TypeSyntax?
                if !eat(.underscore) { ok = try type() }
                var err: TypeSyntax?
                if eat(.comma) { err = try type() } else if ok == nil {
                    throw unexpected("`,` after `_` in `result<_, E>`")
                }
                try expect(.rangle)
                return .result(ok: ok, err: err, offset: offset)
            case .tuple:
                try expect(.langle)
                var elements: [TypeSyntax] = []
                while !eat(.rangle) {
                    elements.append(try type())
                    if !eat(.comma) {
                        try expect(.rangle)
                        break
                    }
                }
                return .tuple(elements, offset: offset)
            case .own, .borrow:
                try expect(.langle)
                let name = try identifier("a resource name")
                try expect(.rangle)
                return k == .own ? .own(name) : .borrow(name)
            case .future, .stream:
                var element: TypeSyntax?
                if eat(.langle) {
                    element = try type()
                    try expect(.rangle)
                }
                return k == .future ? .future(element, offset: offset) : .stream(element, offset: offset)
            default:
                index -= 1
                throw unexpected("a type")
            }
        case .identifier(let name, let explicit):
            // `map` is contextual so that older WIT using it as a name still parses.
            if name == "map" && !explicit && peekKind() == .punct(.langle) {
                index += 2
                let key = try type()
                try expect(.comma)
                let value = try type()
                try expect(.rangle)
                return .map(key, value, offset: offset)
            }
            index += 1
            return .named(Ident(name: name, offset: offset))
        default:
            throw unexpected("a type")
        }
    }

    private static func primitive(_ k: Keyword) -> Primitive? {
        switch k {
        case .bool: return .bool
        case .u8: return .u8
        case .u16: return .u16
        case .u32: return .u32
        case .u64: return .u64
        case .s8: return .s8
        case .s16: return .s16
        case .s32: return .s32
        case .s64: return .s64
        case .f32: return .f32
        case .f64: return .f64
        case .char: return .char
        case .string: return .string
        case .errorContext: return .errorContext
        default: return nil
        }
    }

    // MARK: - Worlds

    private mutating func worldItem() throws(WITError) -> WorldItemSyntax {
        let docs = Docs(lines: current.docs)
        let gate = try gate()
        switch current.kind {
        case .keyword(.import), .keyword(.export):
            let isImport = advance().kind == .keyword(.import)
            let ext = try externItem()
            return isImport ? .import(ext, docs: docs, gate: gate) : .export(ext, docs: docs, gate: gate)
        case .keyword(.use):
            return .use(try useItem(gate: gate))
        case .keyword(.include):
            index += 1
            let path = try usePath()
            var renames: [(from: Ident, to: Ident)] = []
            if eat(.with) {
                renames = try braceList { (p: inout Parser) throws(WITError) in
                    let from = try p.identifier()
                    try p.expect(.as)
                    return (from, try p.identifier())
                }
            }
            try expect(.semicolon)
            return .include(path, renames: renames, gate: gate)
        case .keyword(.type), .keyword(.record), .keyword(.variant), .keyword(.enum),
             .keyword(.flags), .keyword(.resource):
            return .type(try typeDef(docs: docs, gate: gate))
        case .eof:
            throw unexpected("`}`")
        default:
            throw unexpected("`import`, `export`, `use`, `include` or a type in a world")
        }
    }

    private mutating func externItem() throws(WITError) -> ExternSyntax {
        // `name: func…`, `name: interface {…}` and `name: iface;` versus a
        // path `name;` or `ns:pkg/name` (whose `:` is followed by `pkg/`).
        if isIdentifier(current.kind), peekKind() == .punct(.colon) {
            let after = peekKind(2)
            if after == .keyword(.func) || after == .keyword(.async) || after == .keyword(.interface) {
                let name = try identifier()
                try expect(.colon)
                if eat(.interface) {
                    return .interface(name: name, items: try interfaceBody())
                }
                let function = try funcType()
                try expect(.semicolon)
                return .function(name: name, function)
            }
            if isIdentifier(after), peekKind(3) != .punct(.slash) {
                let name = try identifier()
                try expect(.colon)
                let path = try usePath()
                try expect(.semicolon)
                return .keyedPath(name: name, path)
            }
        }
        let path = try usePath()
        try expect(.semicolon)
        return .path(path)
    }
}
