import Foundation
import PropertyBased
import Testing
@testable import ComponentValues
@testable import WIT

/// Random WIT types, and random canonical JSON values of them, from a seed.
struct RandomValues {
    var rng: Xorshift
    private var counter = 0

    init(seed: UInt64) { rng = Xorshift(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func name() -> String {
        counter += 1
        return ["a", "b", "item", "x-y", "z9"][int(0...4)] + "\(counter)"
    }

    mutating func type(depth: Int = 0) -> WITType {
        let origin = TypeOrigin(owner: "rand:om/t", name: name())
        let leaf = depth >= 4 || chance(0.35)
        if leaf {
            switch int(0...16) {
            case 0...12:
                return .primitive([.bool, .u8, .u16, .u32, .u64, .s8, .s16, .s32, .s64, .f32, .f64, .char, .string][int(0...12)])
            case 13: return .enumeration(EnumType(origin: origin, cases: (0..<int(1...5)).map { _ in name() }, docs: nil))
            case 14: return .flags(FlagsType(origin: origin, flags: (0..<int(0...70)).map { _ in name() }, docs: nil))
            case 15: return .list(.primitive(.u8))
            default: return chance(0.5) ? .own(Resource(origin: origin, docs: nil)) : .borrow(Resource(origin: origin, docs: nil))
            }
        }
        switch int(0...11) {
        case 0: return .list(type(depth: depth + 1))
        case 1: return .fixedList(type(depth: depth + 1), count: int(1...4))
        case 2: return .map(key: type(depth: depth + 1), value: type(depth: depth + 1))
        case 3: return .option(type(depth: depth + 1))
        case 4: return .result(ok: chance(0.7) ? type(depth: depth + 1) : nil, err: chance(0.7) ? type(depth: depth + 1) : nil)
        case 5: return .tuple((0..<int(0...4)).map { _ in type(depth: depth + 1) })
        case 6, 7:
            return .record(RecordType(origin: origin, fields: (0..<int(1...4)).map { _ in
                RecordType.Field(name: name(), type: type(depth: depth + 1), docs: nil)
            }, docs: nil))
        case 8:
            return .variant(VariantType(origin: origin, cases: (0..<int(1...4)).map { _ in
                VariantType.Case(name: name(), type: chance(0.6) ? type(depth: depth + 1) : nil, docs: nil)
            }, docs: nil))
        case 9: return .future(chance(0.8) ? type(depth: depth + 1) : nil)
        case 10: return .stream(chance(0.5) ? .primitive(.u8) : type(depth: depth + 1))
        default: return .option(.option(type(depth: depth + 1)))
        }
    }

    /// A value of `type` written exactly as the decoder writes JSON.
    mutating func json(_ type: WITType, into out: inout [UInt8]) {
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        switch type {
        case .primitive(let p):
            switch p {
            case .bool: text(chance(0.5) ? "true" : "false")
            case .u8: text(String(UInt8.random(in: .min ... .max, using: &rng)))
            case .u16: text(String(UInt16.random(in: .min ... .max, using: &rng)))
            case .u32: text(String(UInt32.random(in: .min ... .max, using: &rng)))
            case .u64: text(String(chance(0.3) ? UInt64.max - UInt64(int(0...3)) : UInt64.random(in: .min ... .max, using: &rng)))
            case .s8: text(String(Int8.random(in: .min ... .max, using: &rng)))
            case .s16: text(String(Int16.random(in: .min ... .max, using: &rng)))
            case .s32: text(String(Int32.random(in: .min ... .max, using: &rng)))
            case .s64: text(String(chance(0.3) ? Int64.min + Int64(int(0...3)) : Int64.random(in: .min ... .max, using: &rng)))
            case .f32: writeFloat(Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng)), into: &out)
            case .f64: writeFloat(Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng)), into: &out)
            case .char: writeJSONString(String(scalar()), into: &out)
            case .string: writeJSONString(String(String.UnicodeScalarView((0..<int(0...12)).map { _ in scalar() })), into: &out)
            case .errorContext: text("null")
            }
        case .list(.primitive(.u8)), .own, .borrow, .stream(.primitive(.u8)?):
            let bytes = (0..<int(0...20)).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            out.append(UInt8(ascii: "\""))
            bytes.withUnsafeBufferPointer { Base64.encode($0, into: &out) }
            out.append(UInt8(ascii: "\""))
        case .list(let t), .stream(let t?):
            array((0..<int(0...3)).map { _ in t }, into: &out)
        case .stream(nil):
            text("[" + Array(repeating: "[]", count: int(0...3)).joined(separator: ",") + "]")
        case .fixedList(let t, let n):
            array(Array(repeating: t, count: n), into: &out)
        case .tuple(let ts):
            array(ts, into: &out)
        case .map(let k, let v):
            array((0..<int(0...3)).map { _ in WITType.tuple([k, v]) }, into: &out)
        case .record(let r):
            out.append(UInt8(ascii: "{"))
            for (i, f) in r.fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeJSONString(f.name, into: &out)
                out.append(UInt8(ascii: ":"))
                json(f.type, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .option(let inner):
            let some = chance(0.6)
            if inner.jsonCanBeNull {
                tagged(some ? "some" : "none", some ? inner : nil, into: &out)
            } else if some {
                json(inner, into: &out)
            } else {
                text("null")
            }
        case .result(let ok, let err):
            let isOK = chance(0.5)
            tagged(isOK ? "ok" : "err", isOK ? ok : err, into: &out)
        case .variant(let v):
            let c = v.cases[int(0...(v.cases.count - 1))]
            tagged(c.name, c.type, into: &out)
        case .enumeration(let e):
            writeJSONString(e.cases[int(0...(e.cases.count - 1))], into: &out)
        case .flags(let f):
            array([], into: &out)
            out.removeLast(2)
            let set = f.flags.filter { _ in chance(0.4) }
            text("[" + set.map { "\"\($0)\"" }.joined(separator: ",") + "]")
        case .future(let t?):
            json(t, into: &out)
        case .future(nil):
            text("null")
        }
    }

    mutating func array(_ types: [WITType], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, t) in types.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            json(t, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func tagged(_ tag: String, _ payload: WITType?, into out: inout [UInt8]) {
        out.append(contentsOf: "{\"tag\":".utf8)
        writeJSONString(tag, into: &out)
        if let payload {
            out.append(contentsOf: ",\"val\":".utf8)
            json(payload, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    mutating func scalar() -> Unicode.Scalar {
        while true {
            let v: UInt32 = switch int(0...3) {
            case 0: UInt32(int(0...0x7F))
            case 1: UInt32(int(0x80...0x7FF))
            case 2: UInt32(int(0x800...0xFFFF))
            default: UInt32(int(0x10000...0x10FFFF))
            }
            if let s = Unicode.Scalar(v) { return s }
        }
    }
}

struct Xorshift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

@Suite struct PropertyTests {
    @Test func randomValuesRoundTripThroughBytes() async {
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var r = RandomValues(seed: seed)
            let type = r.type()
            var json: [UInt8] = []
            r.json(type, into: &json)
            let text = String(decoding: json, as: UTF8.self)
            do {
                let bytes = try encode(text, as: type)
                let decoded = try decode(bytes, as: type)
                #expect(decoded.json == text, "type \(Signatures.spell(type))")
                #expect(decoded.decoder.remainder.isEmpty)
                // Split at a random point: the same JSON.
                var d = ValueDecoder(types: [type], shape: .bare)
                let cut = bytes.isEmpty ? 0 : r.int(0...bytes.count)
                _ = try d.feed(bytes[..<cut])
                #expect(try d.feed(bytes[cut...]))
                #expect(String(decoding: d.json, as: UTF8.self) == text)
            } catch {
                Issue.record("\(error) for \(text) as \(Signatures.spell(type))")
            }
        }
    }

    @Test func randomBytesNeverCrashAndStayBounded() async {
        await propertyCheck(count: 400, input: Gen.uint64(), Gen.uint8().array(of: 0...96)) { seed, bytes in
            var r = RandomValues(seed: seed)
            let type = r.type()
            let limits = DecoderLimits(maxDepth: 100, maxOutputBytes: 1 << 16)
            var d = ValueDecoder(types: [type], shape: .bare, limits: limits)
            var fed = 0
            var i = 0
            do {
                while i < bytes.count {
                    let n = r.int(1...8)
                    let piece = bytes[i..<min(bytes.count, i + n)]
                    fed += piece.count
                    i += n
                    if try d.feed(piece) { break }
                    #expect(d.heldInputCapacity <= 2 * fed + 64)
                }
            } catch let error as ValueError {
                #expect(error.kind == .malformedBytes || error.kind == .limitExceeded)
            } catch {
                Issue.record("unexpected \(error)")
            }
            #expect(d.json.count <= (1 << 16) + 64)
            var s = StreamDecoder(element: type, path: [0], limits: limits)
            _ = try? s.feed(bytes)
        }
    }
}
