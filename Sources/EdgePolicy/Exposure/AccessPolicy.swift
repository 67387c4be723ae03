/// Which callers may call which functions (`--policy-file`). Each line is a
/// selector and one or more patterns over `instance/function`:
///
///     # who                   may call
///     key:ci                  wrpc-gateway:demo/greeter@0.1.0/*
///     sub:alice               *
///     claim:scope=kv.write    wrpc-gateway:demo/keyvalue@0.1.0/*
///     *                       */hello
///
/// A caller may call a function when a line selects it and one of that
/// line's patterns matches the function; anything else is a 403.
public struct AccessPolicy: Sendable {
    public struct Rule: Sendable {
        public let selector: Selector
        public let patterns: [Glob]
    }

    public enum Selector: Sendable, Equatable {
        /// Every authenticated caller.
        case anyone
        /// An API key by its name.
        case key(String)
        /// A JWT by its subject.
        case subject(String)
        /// A JWT whose claim holds this value (or lists it; `scope` is split at spaces).
        case claim(String, String)

        func selects(_ identity: Identity) -> Bool {
            switch self {
            case .anyone: return true
            case .key(let name): return identity.kind == .apiKey && identity.name == name
            case .subject(let sub): return identity.kind == .jwt && identity.name == sub
            case .claim(let claim, let value): return identity.claims[claim]?.contains(value) ?? false
            }
        }
    }

    public let rules: [Rule]

    public init(parsing text: String) throws(EdgeConfigError) {
        var rules: [Rule] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard fields.count >= 2 else {
                throw EdgeConfigError("policy file, line \(number + 1): expected a selector and at least one pattern")
            }
            rules.append(Rule(selector: try Self.selector(fields[0], line: number + 1), patterns: fields.dropFirst().map(Glob.init)))
        }
        guard !rules.isEmpty else { throw EdgeConfigError("the policy file holds no rule") }
        self.rules = rules
    }

    static func selector(_ text: String, line: Int) throws(EdgeConfigError) -> Selector {
        if text == "*" { return .anyone }
        if text.hasPrefix("key:"), text.count > 4 { return .key(String(text.dropFirst(4))) }
        if text.hasPrefix("sub:"), text.count > 4 { return .subject(String(text.dropFirst(4))) }
        if text.hasPrefix("claim:"), let eq = text.firstIndex(of: "="), text.index(text.startIndex, offsetBy: 6) < eq {
            return .claim(String(text[text.index(text.startIndex, offsetBy: 6)..<eq]), String(text[text.index(after: eq)...]))
        }
        throw EdgeConfigError("policy file, line \(line): `\(text)` is not a selector (`*`, `key:NAME`, `sub:SUBJECT` or `claim:NAME=VALUE`)")
    }

    /// Whether `identity` may call the function known by any of `names`.
    public func allows(_ identity: Identity, _ names: [String]) -> Bool {
        rules.contains { rule in
            rule.selector.selects(identity) && rule.patterns.contains { glob in names.contains(where: glob.matches) }
        }
    }
}
