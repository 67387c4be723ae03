import Foundation
import Testing
import TestSupport
@testable import ComponentValues
@testable import WIT

@Suite struct EdgeCaseTests {
    func roundTrip(_ json: String, _ type: WITType, hex expected: String? = nil,
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let bytes = try encode(json, as: type)
        if let expected { #expect(hex(bytes) == expected, sourceLocation: sourceLocation) }
        #expect(try decode(bytes, as: type).json == json, sourceLocation: sourceLocation)
    }

    func rejects(_ json: String, _ type: WITType, pointer: String, mentions: String,
                 kind: ValueError.Kind = .invalidValue, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            let bytes = try encode(json, as: type)
            Issue.record("accepted \(json) as \(hex(bytes))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.pointer == pointer, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(mentions), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func integerExtremesStayExact() throws {
        try roundTrip("18446744073709551615", .primitive(.u64), hex: "ffffffffffffffffff01")
        try roundTrip("-9223372036854775808", .primitive(.s64), hex: "8080808080808080807f")
        try roundTrip("9007199254740993", .primitive(.u64), hex: "8180808080808010")
        try roundTrip("-9007199254740993", .primitive(.s64))
        #expect(hex(try encode("\"18446744073709551615\"", as: .primitive(.u64))) == "ffffffffffffffffff01")
        #expect(hex(try encode("\"-9223372036854775808\"", as: .primitive(.s64))) == "8080808080808080807f")
        #expect(hex(try encode("1e2", as: .primitive(.u8))) == "64")
        #expect(hex(try encode("100.000", as: .primitive(.u32))) == "64")
        rejects("18446744073709551616", .primitive(.u64), pointer: "", mentions: "expected u64")
        rejects("-1", .primitive(.u32), pointer: "", mentions: "expected u32, got -1")
        rejects("256", .primitive(.u8), pointer: "", mentions: "expected u8, got 256")
        rejects("1.5", .primitive(.s32), pointer: "", mentions: "expected s32, got 1.5")
        rejects("\"12\"", .primitive(.u32), pointer: "", mentions: "expected u32, got \"12\"")
        rejects("-129", .primitive(.s8), pointer: "", mentions: "expected s8")
    }

    @Test func floats() throws {
        try roundTrip("-0.0", .primitive(.f64), hex: "0000000000000080")
        try roundTrip("-0.0", .primitive(.f32), hex: "00000080")
        try roundTrip("\"NaN\"", .primitive(.f64), hex: "000000000000f87f")
        try roundTrip("\"NaN\"", .primitive(.f32), hex: "0000c07f")
        try roundTrip("\"Infinity\"", .primitive(.f32), hex: "0000807f")
        try roundTrip("\"-Infinity\"", .primitive(.f64), hex: "000000000000f0ff")
        try roundTrip("0.1", .primitive(.f32), hex: "cdcccc3d")
        try roundTrip("5e-324", .primitive(.f64), hex: "0100000000000000")
        // Any NaN payload decodes, and is re-encoded canonical.
        #expect(try decode(bytes(hex: "010000000000f87f"), as: .primitive(.f64)).json == "\"NaN\"")
        rejects("1e39", .primitive(.f32), pointer: "", mentions: "out of range")
        rejects("\"nan\"", .primitive(.f64), pointer: "", mentions: "\"NaN\"")
    }

    @Test func stringsAndChars() throws {
        #expect(hex(try encode("\"h\\u00e9\\\"llo\\n\"", as: .primitive(.string))) == "0868c3a9226c6c6f0a")
        #expect(try decode(bytes(hex: "0868c3a9226c6c6f0a"), as: .primitive(.string)).json == "\"hé\\\"llo\\n\"")
        #expect(hex(try encode("\"\\ud83d\\ude00\"", as: .primitive(.string))) == "04f09f9880")
        rejects("\"\\ud83d\"", .primitive(.string), pointer: "", mentions: "lone surrogate", kind: .malformedJSON)
        rejects("\"\\ude00x\"", .primitive(.string), pointer: "", mentions: "lone surrogate", kind: .malformedJSON)
        rejects("\"\\ud83d\\u0041\"", .primitive(.string), pointer: "", mentions: "lone surrogate", kind: .malformedJSON)
        #expect(hex(try encode("\"€\"", as: .primitive(.char))) == "e282ac")
        rejects("\"ab\"", .primitive(.char), pointer: "", mentions: "exactly one")
        rejects("\"\"", .primitive(.char), pointer: "", mentions: "exactly one")
        // A long string needs a two-byte length.
        let long = String(repeating: "x", count: 200)
        #expect(hex(try encode("\"\(long)\"", as: .primitive(.string))).hasPrefix("c801"))
    }

    @Test func flags() throws {
        let empty = try witType("flags none {}")
        try roundTrip("[]", empty, hex: "")
        let names = (0..<64).map { "b\($0)" }
        let sixtyFour = try witType("flags many { \(names.joined(separator: ", ")) }")
        try roundTrip("[\"b0\",\"b9\",\"b63\"]", sixtyFour, hex: "0102000000000080")
        try roundTrip("[]", sixtyFour, hex: "0000000000000000")
        try roundTrip("[\(names.map { "\"\($0)\"" }.joined(separator: ","))]", sixtyFour, hex: "ffffffffffffffff")
        rejects("[\"b64\"]", sixtyFour, pointer: "/0", mentions: "one of the flags")
        // An unknown bit on the wire is refused.
        let nine = try witType("flags nine { a, b, c, d, e, f, g, h, i }")
        #expect(throws: ValueError.self) { _ = try decode(bytes(hex: "0002"), as: nine) }
    }

    @Test func nestedOptionsInAllThreeStates() throws {
        let t = try witType("option<option<u32>>")
        try roundTrip("{\"tag\":\"none\"}", t, hex: "00")
        try roundTrip("{\"tag\":\"some\",\"val\":null}", t, hex: "0100")
        try roundTrip("{\"tag\":\"some\",\"val\":7}", t, hex: "010107")
        // Members may come in any order.
        #expect(hex(try encode("{\"val\":7,\"tag\":\"some\"}", as: t)) == "010107")
        let single = try witType("option<u32>")
        try roundTrip("null", single, hex: "00")
        try roundTrip("5", single, hex: "0105")
        rejects("{\"tag\":\"maybe\"}", t, pointer: "/tag", mentions: "\"none\", \"some\"")
        rejects("{\"tag\":\"some\"}", t, pointer: "", mentions: "missing `val`")
    }

    @Test func recordKeys() throws {
        let r = try witType("record item { name: string, price: u32, note: option<string> }")
        try roundTrip("{\"name\":\"a\",\"price\":3,\"note\":null}", r, hex: "01610300")
        // Any order, and a missing option field is none.
        #expect(hex(try encode("{\"price\":3,\"name\":\"a\"}", as: r)) == "01610300")
        #expect(hex(try encode("{\"note\":\"n\",\"price\":3,\"name\":\"a\"}", as: r)) == "016103" + "01016e")
        rejects("{\"name\":\"a\",\"price\":3,\"colour\":1}", r, pointer: "/colour", mentions: "unknown field `colour`")
        rejects("{\"name\":\"a\"}", r, pointer: "", mentions: "missing field `price`")
        rejects("{\"name\":\"a\",\"price\":1,\"price\":2}", r, pointer: "/price", mentions: "more than once")
    }

    @Test func pointersReachTheOffendingValue() throws {
        let t = try witType("record order { items: list<item> }", extra: "record item { name: string, price: u32 }")
        let json = "{\"items\":[{\"name\":\"a\",\"price\":1},{\"name\":\"b\",\"price\":2},{\"name\":\"c\",\"price\":3},{\"name\":\"d\",\"price\":-1}]}"
        do {
            _ = try encode(json, as: t)
            Issue.record("accepted a negative price")
        } catch {
            #expect(error.description == "/items/3/price: expected u32, got -1")
        }
        let variant = try witType("variant shape { circle(f64), named(record-x) }", extra: "record record-x { label: string }")
        rejects("{\"tag\":\"named\",\"val\":{\"label\":4}}", variant, pointer: "/val/label", mentions: "expected string, got 4")
        rejects("{\"val\":{\"label\":4},\"tag\":\"named\"}", variant, pointer: "/val/label", mentions: "expected string, got 4")
        rejects("[1, 2", try witType("list<u8>"), pointer: "", mentions: "end of input", kind: .malformedJSON)
    }

    @Test func resultsVariantsEnumsTuplesMaps() throws {
        try roundTrip("{\"tag\":\"ok\"}", try witType("result"), hex: "00")
        try roundTrip("{\"tag\":\"err\",\"val\":\"e\"}", try witType("result<_, string>"), hex: "010165")
        try roundTrip("{\"tag\":\"ok\",\"val\":4}", try witType("result<u8>"), hex: "0004")
        try roundTrip("\"green\"", try witType("enum color { red, green, blue }"), hex: "01")
        try roundTrip("[1,\"x\"]", try witType("tuple<u8, string>"), hex: "010178")
        try roundTrip("[[1,\"a\"],[2,\"b\"]]", try witType("map<u32, string>"), hex: "0201016102016" + "2")
        // A map with string keys may also be given as an object.
        #expect(hex(try encode("{\"k\":1}", as: try witType("map<string, u8>"))) == "01016b01")
        try roundTrip("[1,2,3]", try witType("list<u16, 3>"), hex: "010203")
        rejects("[1,2]", try witType("list<u16, 3>"), pointer: "", mentions: "exactly 3")
        rejects("[1]", try witType("tuple<u8, u8>"), pointer: "", mentions: "an array of 2")
        try roundTrip("\"AAEC\"", try witType("list<u8>"), hex: "03000102")
        #expect(hex(try encode("\"_-8\"", as: try witType("list<u8>"))) == "02ffef")
        #expect(hex(try encode("\"AAE\"", as: try witType("list<u8>"))) == "020001")
        rejects("\"AAE*\"", try witType("list<u8>"), pointer: "", mentions: "not base64")
        try roundTrip("\"aGFuZGxl\"", try witType("borrow<bucket>"), hex: "0668616e646c65")
    }

    @Test func parametersByNameOrPosition() throws {
        let params = [Function.Param(name: "a", type: .primitive(.u8)), Function.Param(name: "b", type: .primitive(.string))]
        func encodeParams(_ json: String) throws(ValueError) -> String {
            var out: [UInt8] = []
            try ValueEncoder.encodeParameters(json: Array(json.utf8), params: params, into: &out)
            return hex(out)
        }
        #expect(try encodeParams("{\"a\":1,\"b\":\"x\"}") == "01" + "0178")
        #expect(try encodeParams("{\"b\":\"x\",\"a\":1}") == "01" + "0178")
        #expect(try encodeParams("[1,\"x\"]") == "01" + "0178")
        #expect(throws: ValueError.self) { try encodeParams("") }
        var none: [UInt8] = []
        try ValueEncoder.encodeParameters(json: [], params: [], into: &none)
        #expect(none.isEmpty)
        // Whitespace alone is not JSON.
        #expect(throws: ValueError.self) { try ValueEncoder.encodeParameters(json: Array("\t".utf8), params: [], into: &none) }
        var d = ValueDecoder(types: params.map(\.type), shape: .object(params.map(\.name)))
        #expect(try d.feed(bytes(hex: "010178")))
        #expect(String(decoding: d.json, as: UTF8.self) == "{\"a\":1,\"b\":\"x\"}")
    }
}
