import WIT

/// The types the value decoder is fuzzed with: those of the Go encoding
/// vectors (../shared/spec/vectors), in this order, so a seed is the
/// type's index followed by a vector's bytes (scripts/fuzz-seeds.py).
enum FuzzTypes {
    static let sources = [
        "bool", "u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64", "char", "string",
        "list<u8>", "list<u32>", "list<string>", "list<list<u8>>",
        "option<u32>", "option<string>", "option<option<u32>>",
        "result", "result<u32>", "result<_, string>", "result<u32, string>", "result<option<list<u8>>, error>",
        "tuple<u32, string, u32>", "tuple<u8, string>",
        "color", "f8", "f9", "key-response", "req", "error",
        "stream<u8>", "stream<u32>", "future<u32>", "borrow<bucket>",
    ]

    static let all: [WITType] = {
        var text = """
            package fuzz:values;
            interface types {
              enum color { red, green, blue }
              flags f8 { f0, f1, f2, f3, f4, f5, f6, f7 }
              flags f9 { f0, f1, f2, f3, f4, f5, f6, f7, f8 }
              record key-response { keys: list<string>, cursor: option<string> }
              record req { numbers: stream<u64>, bytes: stream<u8> }
              variant error { no-such-store, access-denied, other(string) }
              resource bucket;

            """
        for (i, t) in sources.enumerated() { text += "  call\(i): func(x: \(t));\n" }
        text += "}\n"
        do {
            let resolve = try Resolve.load(main: [SourceText(path: "types.wit", text: text)], dependencies: [])
            let iface = resolve.main.interface(named: "types")!
            return sources.indices.map { iface.function(named: "call\($0)")!.params[0].type }
        } catch {
            fatalError("the fuzz types do not load: \(error)")
        }
    }()
}
