import WIT

/// A function the gateway will call, with where it lives.
public struct CallableFunction: Sendable {
    public let instance: String
    public let function: Function
    /// The friendly name in URLs: `bucket.get`, `r.f`, `r.new`, or the plain name.
    public let alias: String

    /// `instance/name` for every name a URL may use: what exposure and
    /// policy patterns are matched against.
    public var names: [String] {
        var names = ["\(instance)/\(alias)"]
        for name in [function.name, function.wireName] where name != alias { names.append("\(instance)/\(name)") }
        return names
    }
    /// Its place in `FunctionTable.functions`, for what is resolved per
    /// function at start-up (set by the table, which may be filtered).
    public internal(set) var index = 0
}

/// The callable functions by instance, with every name a URL may use.
public struct FunctionTable: Sendable {
    public let functions: [CallableFunction]
    private let byInstance: [String: [String: Int]]

    /// The world served because the main package has no interfaces and
    /// only this world (see `InterfaceSelection`); nil otherwise.
    public let impliedWorld: String?

    /// Functions of the interfaces the selected world imports and exports,
    /// or, with no world, of every interface of the main package (of its
    /// only world when it has no interfaces). Throws when none is callable.
    public init(resolve: Resolve, world worldName: String?) throws {
        let selection = try InterfaceSelection(resolve: resolve, world: worldName)
        let functions = selection.interfaces.flatMap { instance, iface in
            iface.functions.map { CallableFunction(instance: instance, function: $0, alias: Self.alias($0)) }
        }
        guard !functions.isEmpty else { throw selection.nothingToServe(resolve) }
        self.init(functions: functions, impliedWorld: selection.impliedWorld)
    }

    private init(functions: [CallableFunction], impliedWorld: String?) {
        var index: [String: [String: Int]] = [:]
        var functions = functions
        for i in functions.indices {
            functions[i].index = i
            let c = functions[i]
            for name in Set([c.function.name, c.function.wireName, c.alias]) { index[c.instance, default: [:]][name] = i }
        }
        self.functions = functions
        self.byInstance = index
        self.impliedWorld = impliedWorld
    }

    /// No functions: a gateway that only forwards.
    public static var none: FunctionTable { FunctionTable(functions: [], impliedWorld: nil) }

    /// The table without the functions `keep` refuses: they are then unknown
    /// to calls, `/functions` and the OpenAPI document alike.
    public func filtered(_ keep: (CallableFunction) -> Bool) -> FunctionTable {
        FunctionTable(functions: functions.filter(keep), impliedWorld: impliedWorld)
    }

    static func alias(_ f: Function) -> String {
        if case .constructor(let r) = f.kind { return "\(r.name).new" }
        return f.wireName
    }

    public func lookup(instance: String, name: String) -> CallableFunction? {
        byInstance[instance]?[name].map { functions[$0] }
    }

    /// The function a `/invoke/{instance}/{function}` path names.
    func callable(atInvokePath path: String) -> Result<CallableFunction, GatewayError> {
        let rest = path.dropFirst("/invoke/".count)
        guard let slash = rest.lastIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
            return .failure(.notFound("expected /invoke/{instance}/{function}"))
        }
        let instance = String(rest[..<slash])
        let name = String(rest[rest.index(after: slash)...])
        if let callable = lookup(instance: instance, name: name) { return .success(callable) }
        if hasInstance(instance) {
            return .failure(.notFound("no function `\(name)` in `\(instance)`; see GET /functions"))
        }
        return .failure(.notFound("no instance `\(instance)`; see GET /functions"))
    }

    public func hasInstance(_ instance: String) -> Bool { byInstance[instance] != nil }

    public var instances: [String] { byInstance.keys.sorted() }
}

public struct GatewaySetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
