import Foundation
import Testing
import TestSupport
@testable import ComponentValues
@testable import WIT

/// Every value vector recorded from the upstream Go implementation, both ways.
@Suite struct VectorTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let index: Int
        let type: String
        let valueJSON: String
        let hex: String
        let note: String
        let mode: String?
        let frames: [(path: [UInt32], data: String)]
        var testDescription: String { "#\(index) \(type) = \(valueJSON.prefix(40))" }
    }

    static let vectors: [Vector] = {
        let path = sharedDirectory + "/spec/vectors/go-encodings.json"
        guard let data = FileManager.default.contents(atPath: path),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.enumerated().compactMap { i, e in
            guard let type = e["type"] as? String, !type.hasPrefix("wrpc:"), let hex = e["hex"] as? String else { return nil }
            let value = try! JSONSerialization.data(withJSONObject: e["value"] ?? NSNull(), options: [.fragmentsAllowed])
            let frames = (e["frames"] as? [[String: Any]] ?? []).map { f in
                ((f["path"] as? [Int] ?? []).map(UInt32.init), f["data"] as? String ?? "")
            }
            return Vector(index: i, type: type, valueJSON: String(decoding: value, as: UTF8.self), hex: hex,
                          note: e["note"] as? String ?? "", mode: e["mode"] as? String, frames: frames)
        }
    }()

    @Test func vectorsArePresent() {
        #expect(Self.vectors.count > 100, "expected the vectors at \(sharedDirectory)/spec/vectors")
    }

    /// The vectors' notation turned into the gateway's JSON mapping.
    static func translate(_ value: Any, _ type: WITType) -> Any {
        switch type {
        case .primitive(.f32), .primitive(.f64):
            switch value as? String {
            case "+Inf": return "Infinity"
            case "-Inf": return "-Infinity"
            case "-0.0": return -0.0
            default: return value
            }
        case .list(.primitive(.u8)), .stream(.primitive(.u8)?):
            if let text = value as? String { return Data(text.utf8).base64EncodedString() }
            return Data((value as! [Int]).map(UInt8.init)).base64EncodedString()
        case .own, .borrow:
            return Data((value as! String).utf8).base64EncodedString()
        case .list(let t), .stream(let t?):
            return (value as! [Any]).map { translate($0, t) }
        case .tuple(let ts):
            return zip(value as! [Any], ts).map { translate($0, $1) }
        case .record(let r):
            let object = value as! [String: Any]
            var out: [String: Any] = [:]
            for f in r.fields { out[f.name] = translate(object[f.name] ?? NSNull(), f.type) }
            return out
        case .option(let inner):
            if inner.jsonCanBeNull {
                guard let object = value as? [String: Any] else { return ["tag": "none"] }
                return ["tag": "some", "val": translate(object["some"]!, inner)]
            }
            return value is NSNull ? value : translate(value, inner)
        case .result(let ok, let err):
            let object = value as! [String: Any]
            let (tag, payload) = object["ok"] != nil ? ("ok", ok) : ("err", err)
            guard let payload else { return ["tag": tag] }
            return ["tag": tag, "val": translate(object[tag]!, payload)]
        case .variant(let v):
            let object = value as! [String: Any]
            let name = object["case"] as! String
            guard let payload = v.cases.first(where: { $0.name == name })?.type else { return ["tag": name] }
            return ["tag": name, "val": translate(object["value"]!, payload)]
        case .future(let t?):
            return translate(value, t)
        default:
            return value
        }
    }

    static func gatewayJSON(_ v: Vector, _ type: WITType) -> String {
        let value = try! JSONSerialization.jsonObject(with: Data(v.valueJSON.utf8), options: [.fragmentsAllowed])
        let out = try! JSONSerialization.data(withJSONObject: translate(value, type), options: [.fragmentsAllowed, .sortedKeys])
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `char` is a LEB128 code point; the Component Model's is UTF-8.
    static func expectedHex(_ v: Vector, _ type: WITType) -> String? {
        if v.note.hasPrefix("off-spec") {
            if case .primitive(.char) = type {
                let scalar = String(decoding: Data(v.valueJSON.utf8), as: UTF8.self)
                let text = try! JSONSerialization.jsonObject(with: Data(scalar.utf8), options: [.fragmentsAllowed]) as! String
                return hex(Array(text.utf8))
            }
            return nil  // a non-canonical NaN: decoded, never produced
        }
        return v.hex
    }

    /// The bytes a conforming peer sends: UTF-8 for the off-spec chars, and
    /// Go's NaN payload as it is (any NaN must decode).
    static func decodableHex(_ v: Vector, _ type: WITType) -> String {
        expectedHex(v, type) ?? v.hex
    }

    /// Go's LEB128 chars are refused, not misread.
    @Test(arguments: vectors.filter { $0.type == "char" && $0.note.hasPrefix("off-spec") })
    func goCharEncodingIsRefused(_ v: Vector) throws {
        #expect(throws: ValueError.self) { _ = try decode(bytes(hex: v.hex), as: .primitive(.char)) }
    }

    @Test(arguments: vectors)
    func jsonToBytes(_ v: Vector) throws {
        let type = try witType(v.type)
        guard v.mode != "pending", let expected = Self.expectedHex(v, type) else { return }
        let json = Self.gatewayJSON(v, type)
        #expect(hex(try encode(json, as: type)) == expected, "\(json)")
        // Arrays of numbers are accepted for list<u8> too.
        if case .list(.primitive(.u8)) = type, let array = try? JSONSerialization.jsonObject(with: Data(v.valueJSON.utf8)) as? [Int] {
            #expect(hex(try encode("\(array)", as: type)) == expected)
        }
    }

    @Test(arguments: vectors)
    func bytesToJSON(_ v: Vector) throws {
        let type = try witType(v.type)
        let (json, decoder) = try decode(bytes(hex: Self.decodableHex(v, type)), as: type)
        if v.mode == "pending" {
            try pendingForm(v, type, decoder)
            return
        }
        let expected = Self.gatewayJSON(v, type)
        #expect(parsed(json) == parsed(expected), "decoded \(json), expected \(expected)")
        #expect(decoder.pending.isEmpty)
    }

    /// The root holds only status bytes; the frames on the pending paths carry the value.
    func pendingForm(_ v: Vector, _ type: WITType, _ decoder: ValueDecoder) throws {
        var byPath: [[UInt32]: [UInt8]] = [:]
        for f in v.frames where !f.path.isEmpty { byPath[f.path, default: []] += bytes(hex: f.data) }
        #expect(Set(decoder.pending.map(\.path)) == Set(byPath.keys))
        var collected: [String: Any] = [:]
        for p in decoder.pending {
            let data = byPath[p.path] ?? []
            switch p.type {
            case .stream(let element):
                var s = StreamDecoder(element: element, path: p.path)
                var raw: [UInt8] = []
                var elements: [Any] = []
                var ended = false
                for event in try s.feed(data) {
                    switch event {
                    case .bytes(let b): raw += b
                    case .element(let json, _): elements.append(parsed(String(decoding: json, as: UTF8.self))!)
                    case .end: ended = true
                    }
                }
                #expect(ended, "stream at \(p.path) ended")
                collected[p.pointer] = element == .primitive(.u8) ? Data(raw).base64EncodedString() as Any : elements
            case .future(let inner):
                var d = ValueDecoder(types: [inner!], shape: .bare, indexed: false, basePath: p.path)
                #expect(try d.feed(data))
                collected[p.pointer] = parsed(String(decoding: d.json, as: UTF8.self))
            default:
                Issue.record("unexpected pending type \(p.type)")
            }
        }
        let expected = try JSONSerialization.jsonObject(with: Data(Self.gatewayJSON(v, type).utf8), options: [.fragmentsAllowed])
        if let object = expected as? [String: Any] {
            for (key, value) in object {
                #expect((collected["/" + key] as? NSObject) == (value as? NSObject), "\(key)")
            }
        } else {
            #expect((collected[""] as? NSObject) == (expected as? NSObject))
        }
    }

    /// Every vector's bytes, fed at every split point and one byte at a time, decode the same.
    @Test(arguments: vectors)
    func splitAnywhere(_ v: Vector) throws {
        let type = try witType(v.type)
        let all = bytes(hex: Self.decodableHex(v, type))
        let whole = try decode(all, as: type).json
        for cut in 0...all.count {
            var d = ValueDecoder(types: [type], shape: .bare)
            let first = try d.feed(all[..<cut])
            #expect(first == (cut == all.count) || cut == all.count || !first)
            #expect(try d.feed(all[cut...]))
            #expect(String(decoding: d.json, as: UTF8.self) == whole)
        }
        var d = ValueDecoder(types: [type], shape: .bare)
        for b in all { _ = try d.feed([b]) }
        #expect(d.isComplete)
        #expect(String(decoding: d.json, as: UTF8.self) == whole)
    }
}
