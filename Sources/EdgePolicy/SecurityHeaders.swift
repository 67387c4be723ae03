/// Headers on everything the gateway answers itself. The content security
/// policy allows the gateway's own origin only: pages it serves may load
/// scripts, styles, images and data from it, nothing inline and nothing
/// from elsewhere, and no other site may frame them.
public enum SecurityHeaders {
    public static let contentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    public static let all: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", contentSecurityPolicy),
        ("Referrer-Policy", "no-referrer"),
        // The product, not its version: nothing to look vulnerabilities up by.
        ("Server", "wrpc-gateway"),
    ]
}
