import FuzzSupport
import WRPCTransport

/// The wRPC frame reader on arbitrary bytes, fed whole and in pieces: the
/// same frames (data joined per path in order) or the same refusal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let whole = read([bytes])
    var pieces: [[UInt8]] = []
    for range in Splits(bytes) { pieces.append(Array(bytes[range])) }
    let split = read(pieces)
    guard whole == split else { fatalError("frames differ when fed in pieces: \(whole) vs \(split)") }
    return 0
}

/// What the reader made of `pieces`: its events, data of one path merged
/// while consecutive (pieces may split a frame's data), and whether it refused.
private func read(_ pieces: [[UInt8]]) -> [String] {
    var reader = FrameReader()
    var out: [String] = []
    var last: (path: [UInt32], bytes: [UInt8])?
    func flush() {
        if let l = last { out.append("data \(l.path) \(l.bytes)") }
        last = nil
    }
    do {
        for piece in pieces {
            for event in try reader.feed(piece) {
                switch event {
                case .data(let path, let b):
                    if last?.path == path { last!.bytes += b } else { flush(); last = (path, b) }
                case .closed(let path):
                    flush()
                    out.append("closed \(path)")
                }
            }
        }
        flush()
    } catch {
        // A refusal drops the events of the feed that failed, so how much
        // came before it depends on the pieces: only the refusal compares.
        return ["refused"]
    }
    return out
}

@_cdecl("FuzzFrames_main")
public func fuzzFramesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzFrames)
}
