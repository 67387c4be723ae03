import EdgePolicy
import Testing

@Suite struct APIKeysTests {
    @Test func namedAndBareKeys() throws {
        let keys = try APIKeys(parsing: """
            # deploy keys
            ci: s3cr3t-ci-key

            ops:another-key
            bare-key-without-name
            """)
        #expect(keys.count == 3)
        #expect(keys.name(of: "s3cr3t-ci-key") == "ci")
        #expect(keys.name(of: "another-key") == "ops")
        let bare = try #require(keys.name(of: "bare-key-without-name"))
        #expect(bare.hasPrefix("sha256-") && bare.count == 15 && !bare.contains("bare"))
        #expect(keys.name(of: "s3cr3t-ci-ke") == nil)
        #expect(keys.name(of: "") == nil)
        #expect(keys.name(of: "ci") == nil)
    }

    @Test func badFilesAreRefusedWithTheLine() {
        #expect(throws: EdgeConfigError.self) { try APIKeys(parsing: "# nothing\n\n") }
        #expect { try APIKeys(parsing: "a:k1\nb:k1") } throws: { "\($0)".contains("line 2") && "\($0)".contains("twice") }
        #expect { try APIKeys(parsing: "a:k1\na:k2") } throws: { "\($0)".contains("`a` is used twice") }
        #expect { try APIKeys(parsing: "a:two words") } throws: { "\($0)".contains("line 1") }
        #expect { try APIKeys(parsing: "bad name:k") } throws: { "\($0)".contains("letters, digits") }
    }

    @Test func errorsNeverQuoteTheKey() {
        #expect { try APIKeys(parsing: "a:topsecret\nb:topsecret") } throws: { !"\($0)".contains("topsecret") }
    }
}
