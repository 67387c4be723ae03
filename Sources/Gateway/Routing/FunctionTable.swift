import WIT

/// A function the gateway will call, with where it lives.
public struct CallableFunction: Sendable {
    public let instance: String
    public let function: Function
    /// The friendly name in URLs: `bucket.get`, `r.f`, `r.new`, or the plain name.
    public let alias: String
    /// Its place in `FunctionTable.functions`, for what is resolved per function at start-up.
    public let index: Int
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
        var functions: [CallableFunction] = []
        var index: [String: [String: Int]] = [:]
        for (instance, iface) in selection.interfaces {
            for f in iface.functions {
                let alias = Self.alias(f)
                let i = functions.count
                functions.append(CallableFunction(instance: instance, function: f, alias: alias, index: i))
                for name in Set([f.name, f.wireName, alias]) { index[instance, default: [:]][name] = i }
            }
        }
        guard !functions.isEmpty else { throw selection.nothingToServe(resolve) }
        self.functions = functions
        self.byInstance = index
        impliedWorld = selection.impliedWorld
    }

    static func alias(_ f: Function) -> String {
        if case .constructor(let r) = f.kind { return "\(r.name).new" }
        return f.wireName
    }

    public func lookup(instance: String, name: String) -> CallableFunction? {
        byInstance[instance]?[name].map { functions[$0] }
    }

    public func hasInstance(_ instance: String) -> Bool { byInstance[instance] != nil }

    public var instances: [String] { byInstance.keys.sorted() }
}

public struct GatewaySetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
