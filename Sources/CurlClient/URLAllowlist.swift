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
        guard any || prefixes.contains(where: { Self.matches(normalized.text, prefix: $0) }) else {
            let resolved = normalized.text == url ? "" : " (resolved: \(normalized.text))"
            return .failure(.notAllowed("\(url)\(resolved) is not under an allowed URL prefix"))
        }
        return .success(normalized)
    }

    /// Whether `url` (normalised) is under `prefix`. A prefix that ends at
    /// its authority (`https://api.example.com`, no path) stands for that
    /// origin's root: as bare text it would also admit
    /// `https://api.example.com.evil.net/` and `https://api.example.com:8443/`.
    /// The scheme is compared without case, as normalisation lowercases it.
    static func matches(_ url: String, prefix: String) -> Bool {
        guard let colon = prefix.firstIndex(of: ":"), prefix[colon...].hasPrefix("://") else { return url.hasPrefix(prefix) }
        let scheme = prefix[..<colon].lowercased()
        var rest = prefix[prefix.index(colon, offsetBy: 3)...]
        if !rest.contains("/") { rest += "/" }
        return url.hasPrefix(scheme + "://" + rest)
    }
}
