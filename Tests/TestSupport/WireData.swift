import ComponentValues
import Foundation
import Testing

/// The shared spec and WIT corpus: `WRPC_SHARED_DIR`, or `../shared` beside the package.
public let sharedDirectory: String = {
    if let env = ProcessInfo.processInfo.environment["WRPC_SHARED_DIR"] { return env }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared").path
}()

/// A call between upstream Go peers as recorded in `spec/wire/NAME.json`:
/// the bytes each way.
public struct WireRecording {
    public let request: [UInt8]
    public let response: [UInt8]

    public init(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: sharedDirectory + "/spec/wire/\(name).json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        request = bytes(hex: try #require(object["request_hex"] as? String))
        response = bytes(hex: try #require(object["response_hex"] as? String))
    }
}

public func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

public func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// One wRPC frame: a path and its data.
public struct WireFrame: Equatable, Sendable {
    public let path: [UInt32]
    public let data: [UInt8]
}

/// An unsigned LEB128 at `i` (moved past it), or nil if it runs past the end.
public func readLEB(_ bytes: [UInt8], _ i: inout Int) -> UInt64? {
    let r = bytes.withUnsafeBufferPointer { readUnsignedLEB($0, at: i, bits: 64) }
    guard case .value(let v, let n) = r else { return nil }
    i += n
    return v
}

/// The whole frames at the start of `bytes`, and how many bytes they took
/// (a partial frame at the end is left).
public func wireFrames(_ bytes: [UInt8]) -> (frames: [WireFrame], consumed: Int) {
    var out: [WireFrame] = []
    var i = 0
    while true {
        var j = i
        guard let n = readLEB(bytes, &j) else { break }
        var path: [UInt32] = []
        for _ in 0..<n {
            guard let p = readLEB(bytes, &j) else { return (out, i) }
            path.append(UInt32(p))
        }
        guard let length = readLEB(bytes, &j), j + Int(length) <= bytes.count else { break }
        out.append(WireFrame(path: path, data: Array(bytes[j..<(j + Int(length))])))
        i = j + Int(length)
    }
    return (out, i)
}
