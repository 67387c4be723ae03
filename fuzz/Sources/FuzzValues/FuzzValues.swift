import ComponentValues
import FuzzSupport
import WIT

/// The resumable value decoder on arbitrary bytes: the first byte picks a
/// type (`FuzzTypes.sources`), the rest is decoded whole and again fed in
/// pieces; both must agree on the JSON and the pending values, or both refuse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzValues(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let pick = bytes.first else { return 0 }
    let type = FuzzTypes.all[Int(pick) % FuzzTypes.all.count]
    let input = Array(bytes.dropFirst())
    let limits = DecoderLimits(maxDepth: 100, maxOutputBytes: 1 << 20)
    let whole = decode(type, [input], limits)
    var pieces: [[UInt8]] = []
    for range in Splits(input) { pieces.append(Array(input[range])) }
    let split = decode(type, pieces, limits)
    guard whole == split else { fatalError("decoded differently in pieces: \(whole) vs \(split)") }
    return 0
}

/// The JSON and pending paths once complete, "incomplete", or "refused".
private func decode(_ type: WITType, _ pieces: [[UInt8]], _ limits: DecoderLimits) -> String {
    var decoder = ValueDecoder(types: [type], shape: .bare, limits: limits)
    do {
        var done = try decoder.feed(EmptyCollection())
        for piece in pieces where !done { done = try decoder.feed(piece) }
        guard done else { return "incomplete" }
        let json = String(decoding: decoder.json, as: UTF8.self)
        return "\(json) \(decoder.pending.map { "\($0.path)@\($0.jsonOffset)" }) \(decoder.consumed)"
    } catch {
        return "refused"
    }
}

@_cdecl("FuzzValues_main")
public func fuzzValuesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzValues)
}
