/// Which URLs may be fetched: those whose normalised form (`NormalizedURL`)
/// starts with one of the prefixes, or any URL that normalises, when `any`.
/// The egress, the stream URL feeds and their redirects all decide here, on
/// the form that is then fetched.
public struct URLAllowlist: Sendable {
    public var prefixes: [String]
    public var any: Bool

    public init(prefixes: [String], any: Bool = false) {
        self.prefixes = prefixes
        self.any = any
    }

    /// Why a URL may not be fetched.
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        /// Not a URL that can be fetched as written (`NormalizedURL.Invalid`).
        case invalid(String)
        /// Not under an allowed prefix.
        case notAllowed(String)

        public var description: String {
            switch self {
            case .invalid(let message), .notAllowed(let message): message
            }
        }
    }

    /// The URL to fetch for `url`, or why it may not be fetched.
    public func check(_ url: String) -> Result<NormalizedURL, Refusal> {
        let normalized: NormalizedURL
        do {
            normalized = try NormalizedURL(url)
        } catch {
            return .failure(.invalid(error.message))
        }
        guard any || prefixes.contains(where: { normalized.text.hasPrefix($0) }) else {
            let resolved = normalized.text == url ? "" : " (resolved: \(normalized.text))"
            return .failure(.notAllowed("\(url)\(resolved) is not under an allowed URL prefix"))
        }
        return .success(normalized)
    }
}
