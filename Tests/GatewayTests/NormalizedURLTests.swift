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
}
