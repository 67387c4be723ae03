import WIT

/// A function the gateway will call, with where it lives.
public struct CallableFunction: Sendable {
    public let instance: String
    public let function: Function
    /// The friendly name in URLs: `bucket.get`, `r.f`, `r.new`, or the plain name.
    public let alias: String
}

/// The callable functions by instance, with every name a URL may use.
public struct FunctionTable: Sendable {
    public let functions: [CallableFunction]
    private let byInstance: [String: [String: Int]]

    /// Functions of the interfaces the selected world imports and exports,
    /// or, with no world, of every interface of the main package.
    public init(resolve: Resolve, world worldName: String?) throws {
        var interfaces: [(String, Interface)] = []
        if let worldName {
            guard let world = resolve.packages.flatMap(\.worlds).first(where: { $0.name == worldName || $0.qualifiedName == worldName }) else {
                let known = resolve.packages.flatMap(\.worlds).map(\.qualifiedName).sorted().joined(separator: ", ")
                throw GatewaySetupError("no world `\(worldName)` in the WIT; known: \(known)")
            }
            var seen: Set<String> = []
            for item in world.imports + world.exports {
                switch item {
                case .interface(let i) where seen.insert(i.qualifiedName).inserted:
                    interfaces.append((i.qualifiedName, i))
                case .keyedInterface(let key, let i) where seen.insert(key).inserted:
                    interfaces.append((key, i))
                default:
                    continue
                }
            }
        } else {
            interfaces = resolve.main.interfaces.map { ($0.qualifiedName, $0) }
        }
        var functions: [CallableFunction] = []
        var index: [String: [String: Int]] = [:]
        for (instance, iface) in interfaces {
            for f in iface.functions {
                let alias = Self.alias(f)
                let i = functions.count
                functions.append(CallableFunction(instance: instance, function: f, alias: alias))
                for name in Set([f.name, f.wireName, alias]) { index[instance, default: [:]][name] = i }
            }
        }
        self.functions = functions
        self.byInstance = index
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
