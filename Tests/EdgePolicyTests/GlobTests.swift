import EdgePolicy
import Testing

@Suite struct GlobTests {
    @Test func starsSpanSlashesAndQuestionMarksOneCharacter() {
        let kv = "wasi:keyvalue/store@0.2.0/get"
        #expect(Glob("*").matches(kv))
        #expect(Glob("wasi:keyvalue/*").matches(kv))
        #expect(Glob("*/get").matches(kv))
        #expect(Glob("wasi:*@0.2.?/get").matches(kv))
        #expect(!Glob("wasi:keyvalue/*/set").matches(kv))
        #expect(!Glob("*/ge").matches(kv))
        #expect(!Glob("wasi:keyvalue").matches(kv))
        #expect(Glob("a*b*c").matches("aXbYbZc"))
        #expect(!Glob("a*b*c").matches("aXbYbZ"))
        #expect(Glob("").matches(""))
        #expect(!Glob("?").matches(""))
    }

    @Test func manyStarsStayFast() {
        // Backtracking with one resume point: a hostile pattern cannot blow up.
        let pattern = Glob(String(repeating: "*a", count: 40) + "b")
        #expect(!pattern.matches(String(repeating: "a", count: 5000)))
    }

    @Test func exposeThenHide() {
        let exposure = Exposure(expose: ["demo:x/greeter@1/*", "demo:x/kv@1/*"], hide: ["*/delete"])
        #expect(exposure.serves(["demo:x/greeter@1/hello"]))
        #expect(exposure.serves(["demo:x/kv@1/get"]))
        #expect(!exposure.serves(["demo:x/kv@1/delete"]))
        #expect(!exposure.serves(["demo:x/blobs@1/upload"]))
        // Any of a function's names will do: its alias or its wire name.
        #expect(!Exposure(hide: ["*/[method]bucket.get"]).serves(["kv/bucket.get", "kv/[method]bucket.get"]))
        #expect(Exposure().isEverything)
    }
}
