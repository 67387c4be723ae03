/// `--forward PREFIX=URL[,URL…]`: requests under `PREFIX` go, as they are,
/// to the `wrpc:http/incoming-handler` at those backends (one pool).
public struct ForwardRoute: Sendable, Equatable {
    public var prefix: String
    public var urls: [String]

    public init(prefix: String, urls: [String]) {
        self.prefix = prefix
        self.urls = urls
    }

    /// What exposure and policy patterns match a forward by: `forward:PREFIX`.
    public var name: String { "forward:\(prefix)" }
}
