import CurlClient
import Testing

/// The one normalisation every fetched URL goes through.
@Suite struct NormalizedURLTests {
    @Test(arguments: [
        ("http://h/a/b/../c", "http://h/a/c"), ("HTTP://h:1/./a/", "http://h:1/a/"), ("http://h", "http://h/"),
        ("http://h?q=/../x", "http://h/?q=/../x"), ("http://h/a/..", "http://h/"), ("http://h/../../a", "http://h/a"),
        ("http://h/%7euser/%2E%2e/%41%2f", "http://h/A%2F"), ("http://h/%7euser/", "http://h/~user/"),
        ("https://h/a//../b", "https://h/a/b"), ("http://h/a#/../../x", "http://h/a"), ("http://h/a/...", "http://h/a/..."),
    ])
    func normalises(_ written: String, _ expected: String) throws {
        #expect(try NormalizedURL(written).text == expected)
    }

    @Test(arguments: ["http://h/a b", "http://h/a\\..\\b", "http://h/\u{e9}", "ftp://h/", "h/a", "http:///a", "http://h/%zz", "http://h/%4",
                      "http://h/a/..%2Fb", "http://h/..;/b", "http://h/a/%2e%2e%5cb",
                      "http://allowed.example@127.0.0.1/", "http://u:p@h/"])
    func refuses(_ written: String) {
        #expect(throws: NormalizedURL.Invalid.self) { try NormalizedURL(written) }
    }

    /// A prefix without a path is its origin's root, not a text prefix of
    /// longer host names or ports; the scheme's case does not matter.
    @Test(arguments: [
        ("https://api.example.com", "https://api.example.com/v1", true),
        ("https://api.example.com", "https://api.example.com.evil.net/", false),
        ("https://api.example.com", "https://api.example.com:8443/", false),
        ("HTTPS://api.example.com/v1/", "https://api.example.com/v1/x", true),
        ("https://api.example.com/v1/", "https://api.example.com/v2/x", false),
    ])
    func prefixes(_ prefix: String, _ url: String, _ allowed: Bool) {
        let result = URLAllowlist(prefixes: [prefix]).check(url)
        if case .success = result { #expect(allowed) } else { #expect(!allowed) }
    }
}
