import WIT

/// Which interfaces a gateway serves, and under which instance names: the
/// interfaces a world imports and exports when one is named; without one,
/// every interface of the main package — or, when the main package has no
/// interfaces but exactly one world (`package foo:bar; world w { import
/// ns:pkg/iface; }`), that world's, so such a package is not served empty.
struct InterfaceSelection {
    let interfaces: [(instance: String, interface: Interface)]
    /// The world chosen because the main package has only it; nil when a
    /// world was named or the main package's interfaces are served.
    let impliedWorld: String?
    /// What was served, for messages: `world foo:bar/w` or `package foo:bar`.
    let source: String

    init(resolve: Resolve, world worldName: String?) throws {
        let worlds = resolve.packages.flatMap(\.worlds)
        let world: World
        if let worldName {
            guard let named = worlds.first(where: { $0.name == worldName || $0.qualifiedName == worldName }) else {
                let known = worlds.map(\.qualifiedName).sorted().joined(separator: ", ")
                throw GatewaySetupError("no world `\(worldName)` in the WIT; known: \(known)")
            }
            world = named
            impliedWorld = nil
        } else if resolve.main.interfaces.isEmpty, let only = resolve.main.worlds.first {
            guard resolve.main.worlds.count == 1 else {
                throw GatewaySetupError("package \(resolve.main.name) has no interfaces and \(resolve.main.worlds.count) worlds: "
                    + "choose one with --world: \(resolve.main.worlds.map(\.qualifiedName).joined(separator: ", "))")
            }
            world = only
            impliedWorld = only.qualifiedName
        } else {
            interfaces = resolve.main.interfaces.map { ($0.qualifiedName, $0) }
            impliedWorld = nil
            source = "package \(resolve.main.name)"
            return
        }
        var seen: Set<String> = []
        var interfaces: [(String, Interface)] = []
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
        self.interfaces = interfaces
        source = "world \(world.qualifiedName)"
    }

    /// Why nothing can be served: what was looked at, and every world and
    /// interface the WIT has, so the right `--world` is easy to pick.
    func nothingToServe(_ resolve: Resolve) -> GatewaySetupError {
        let worlds = resolve.packages.flatMap(\.worlds).map(\.qualifiedName)
        let interfaces = resolve.packages.flatMap(\.interfaces).map { "\($0.qualifiedName) (\($0.functions.count) functions)" }
        return GatewaySetupError("no callable functions in \(source) (a world may have them: choose one with --world); "
            + "worlds in the WIT: \(worlds.isEmpty ? "none" : worlds.joined(separator: ", ")); "
            + "interfaces: \(interfaces.isEmpty ? "none" : interfaces.joined(separator: ", "))")
    }
}
