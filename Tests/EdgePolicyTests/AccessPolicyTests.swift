import EdgePolicy
import Testing

@Suite struct AccessPolicyTests {
    let policy = try! AccessPolicy(parsing: """
        # who                 may call
        key:ci                demo:x/greeter@1/*
        sub:alice             *
        claim:scope=kv.write  demo:x/kv@1/set demo:x/kv@1/get
        claim:role=reader     demo:x/kv@1/get
        *                     */healthcheck
        """)

    @Test func selectorsAndPatterns() {
        let ci = Identity(kind: .apiKey, name: "ci")
        #expect(policy.allows(ci, ["demo:x/greeter@1/hello"]))
        #expect(!policy.allows(ci, ["demo:x/kv@1/get"]))
        #expect(policy.allows(ci, ["demo:x/anything@1/healthcheck"]))
        // A key named like a subject is still a key.
        #expect(!policy.allows(Identity(kind: .apiKey, name: "alice"), ["demo:x/kv@1/get"]))
        #expect(policy.allows(Identity(kind: .jwt, name: "alice"), ["demo:x/kv@1/delete"]))
        let writer = Identity(kind: .jwt, name: "bob", claims: ["scope": ["kv.read", "kv.write"]])
        #expect(policy.allows(writer, ["demo:x/kv@1/set"]))
        #expect(!policy.allows(writer, ["demo:x/kv@1/delete"]))
        let reader = Identity(kind: .jwt, name: "carol", claims: ["role": ["reader"]])
        #expect(policy.allows(reader, ["demo:x/kv@1/get"]))
        #expect(!policy.allows(reader, ["demo:x/kv@1/set"]))
    }

    @Test func badLinesAreNamed() {
        #expect { try AccessPolicy(parsing: "key:ci") } throws: { "\($0)".contains("line 1") }
        #expect { try AccessPolicy(parsing: "# c\nuser:bob *") } throws: { "\($0)".contains("line 2") && "\($0)".contains("not a selector") }
        #expect { try AccessPolicy(parsing: "claim:=x *") } throws: { "\($0)".contains("not a selector") }
        #expect(throws: EdgeConfigError.self) { try AccessPolicy(parsing: "\n# none\n") }
    }
}
