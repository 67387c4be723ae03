import Foundation
import Testing
import TestSupport
@testable import ComponentValues
@testable import WIT

/// Resolves a WIT type written as in the vectors: a type expression, or a
/// definition `record name { … }` / `variant …` / `enum …` / `flags …`.
/// `bucket` (a resource) and `error` (the keyvalue variant) are predeclared.
func witType(_ spelling: String, extra: String = "") throws -> WITType {
    var declarations = """
        resource bucket;
        variant error { no-such-store, access-denied, other(string) }
        \(extra)
        """
    var subject = spelling
    if let match = spelling.firstMatch(of: /^(record|variant|enum|flags) ([a-z0-9-]+) (\{.*\})$/) {
        if String(match.2) != "error" { declarations += "\n\(spelling)" }
        subject = String(match.2)
    }
    let resolve = try Resolve.load(main: [SourceText(path: "t.wit", text: """
        package vec:tests;
        interface t {
          \(declarations)
          type subject = \(subject);
        }
        """)], dependencies: [])
    return try #require(resolve.main.interface(named: "t")?.types.first { $0.name == "subject" }?.type)
}


func encode(_ json: String, as type: WITType) throws(ValueError) -> [UInt8] {
    var out: [UInt8] = []
    try ValueEncoder.encode(json: Array(json.utf8), as: type, into: &out)
    return out
}

/// Decodes a whole value in one piece as a bare result.
func decode(_ bytes: [UInt8], as type: WITType) throws(ValueError) -> (json: String, decoder: ValueDecoder) {
    var d = ValueDecoder(types: [type], shape: .bare)
    let done = try d.feed(bytes)
    if !done { throw ValueError(.malformedBytes, "incomplete") }
    return (String(decoding: d.json, as: UTF8.self), d)
}

/// The JSON value as Foundation objects, for comparisons that ignore spelling.
func parsed(_ json: String) -> NSObject? {
    try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) as? NSObject
}
