/// Which functions the gateway serves at all (`--expose`, `--hide`): with
/// no `--expose` every function, else those an expose pattern matches;
/// then any a hide pattern matches are taken out. Names are
/// `instance/function`, the function by any name a URL may use for it.
public struct Exposure: Sendable {
    public var expose: [Glob]
    public var hide: [Glob]

    public init(expose: [String] = [], hide: [String] = []) {
        self.expose = expose.map(Glob.init)
        self.hide = hide.map(Glob.init)
    }

    public var isEverything: Bool { expose.isEmpty && hide.isEmpty }

    /// Whether a function known by any of `names` (each `instance/name`) is served.
    public func serves(_ names: [String]) -> Bool {
        let exposed = expose.isEmpty || expose.contains { glob in names.contains(where: glob.matches) }
        return exposed && !hide.contains { glob in names.contains(where: glob.matches) }
    }
}
