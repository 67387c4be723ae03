/// The browser console's files: a page, its script, style sheet and icon,
/// embedded in the binary (SwiftPM's `embedInCode`), so a gateway serves its
/// console offline and from nothing but its own executable.
public enum ConsoleAssets {
    public struct Asset: Sendable {
        public let contentType: String
        public let body: [UInt8]
    }

    /// The file at an HTTP path: the page at `/`, the others at
    /// `/console/NAME`; nil for any other path. The page names everything
    /// by relative URLs, so a proxy may serve the gateway under a prefix.
    public static func asset(at path: String) -> Asset? {
        switch path {
        case "/": return Asset(contentType: "text/html; charset=utf-8", body: PackageResources.index_html)
        case "/console/app.js": return Asset(contentType: "text/javascript; charset=utf-8", body: PackageResources.app_js)
        case "/console/app.css": return Asset(contentType: "text/css; charset=utf-8", body: PackageResources.app_css)
        case "/console/favicon.svg": return Asset(contentType: "image/svg+xml", body: PackageResources.favicon_svg)
        default: return nil
        }
    }

    /// What the page may do: load its own files and call the gateway, and
    /// nothing else — no inline script or style, no eval, no other origin.
    /// The console is written to run under it.
    public static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
