import Foundation
import Testing
import TestSupport
@testable import ComponentValues
@testable import WIT

/// Bytes from a faulty or hostile peer give typed errors, never a crash,
/// and memory follows the bytes that arrived, not the lengths they claim.
@Suite struct HostileBytesTests {
    func fails(_ hexBytes: String, _ type: WITType, mentions: String, kind: ValueError.Kind = .malformedBytes,
               sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        var d = ValueDecoder(types: [type], shape: .bare)
        do {
            _ = try d.feed(bytes(hex: hexBytes))
            Issue.record("accepted \(hexBytes)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(mentions), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func declaredLengthBeyondWhatArrived() throws {
        for type in [WITType.primitive(.string), .list(.primitive(.u8)), .list(.primitive(.u64))] {
            var d = ValueDecoder(types: [type], shape: .bare)
            // 4 GiB - 1 declared in five bytes, then a few bytes.
            #expect(try d.feed(bytes(hex: "ffffffff0f") + [1, 2, 3]) == false)
            #expect(d.json.count < 16)
        }
    }

    @Test func invalidUTF8() {
        fails("02c328", .primitive(.string), mentions: "invalid UTF-8")
        fails("03eda080", .primitive(.string), mentions: "invalid UTF-8")  // an encoded surrogate
        fails("ff", .primitive(.char), mentions: "lead byte")
    }

    @Test func badDiscriminantsAndStatusBytes() throws {
        fails("03", try witType("enum color { red, green, blue }"), mentions: "enum discriminant 3")
        fails("05", try witType("variant error { no-such-store, access-denied, other(string) }"), mentions: "variant discriminant 5")
        fails("02", .option(.primitive(.u8)), mentions: "option status byte 0x2")
        fails("07", .result(ok: nil, err: nil), mentions: "result status byte")
        fails("09", .stream(.primitive(.u8)), mentions: "stream status byte")
        fails("02", .future(.primitive(.u8)), mentions: "future status byte")
        fails("02", .primitive(.bool), mentions: "invalid bool")
        fails("ffffffff1f", .primitive(.u32), mentions: "does not fit in 32 bits")
        fails("808004", .primitive(.u16), mentions: "does not fit in 16 bits")
        fails("ffffffffffffffffff01", .primitive(.s64), mentions: "does not fit in 64 bits")
    }

    @Test func nestingDeeperThanTheLimit() throws {
        var type = WITType.primitive(.u8)
        for _ in 0..<150 { type = .list(type) }
        var d = ValueDecoder(types: [type], shape: .bare)
        do {
            _ = try d.feed([UInt8](repeating: 1, count: 200))
            Issue.record("accepted 150 levels")
        } catch {
            #expect(error.kind == .limitExceeded)
        }
        var json = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        #expect(throws: ValueError.self) { _ = try encode(json, as: type) }
        json = String(repeating: "[", count: 5000)
        #expect(throws: ValueError.self) { _ = try encode(json, as: .list(.list(.primitive(.u8)))) }
    }

    @Test func zeroSizedElementsCannotInflateTheOutput() throws {
        var d = ValueDecoder(types: [.list(.tuple([]))], shape: .bare, limits: DecoderLimits(maxOutputBytes: 1 << 16))
        do {
            _ = try d.feed(bytes(hex: "ffffffff0f"))
            Issue.record("decoded 4 billion empty tuples")
        } catch {
            #expect(error.kind == .limitExceeded)
        }
        var s = StreamDecoder(element: .tuple([]), path: [0])
        #expect(throws: ValueError.self) { _ = try s.feed(bytes(hex: "ffffffff0f")) }
    }

    @Test func streamsToleratesARedundantTerminatorOnly() throws {
        var s = StreamDecoder(element: .primitive(.u32), path: [0])
        #expect(try s.feed(bytes(hex: "020102")) == [.element(json: Array("1".utf8), pending: []), .element(json: Array("2".utf8), pending: [])])
        #expect(try s.feed([0, 0]) == [.end])
        #expect(try s.feed([0]) == [])
        #expect(throws: ValueError.self) { _ = try s.feed([5]) }
    }

    @Test func streamBytesFlowBeforeTheChunkIsComplete() throws {
        var s = StreamDecoder(element: .primitive(.u8), path: [0])
        #expect(try s.feed([10, 1, 2, 3]) == [.bytes([1, 2, 3])])
        #expect(try s.feed([4, 5, 6, 7, 8, 9, 10, 0]) == [.bytes([4, 5, 6, 7, 8, 9, 10]), .end])
    }

    @Test func trailingBytesAreLeftOver() throws {
        var d = ValueDecoder(types: [.primitive(.u8)], shape: .bare)
        #expect(try d.feed([7, 8, 9]))
        #expect(Array(d.remainder) == [8, 9])
        #expect(d.consumed == 1)
    }
}
