import FuzzSupport
import WIT

/// The WIT lexer, parser and resolver on arbitrary text: an error or a
/// package, never a crash or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWIT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    if let resolve = try? Resolve.load(main: [SourceText(path: "fuzz.wit", text: text)], dependencies: []) {
        _ = Signatures.lines(resolve)
    }
    return 0
}

@_cdecl("FuzzWIT_main")
public func fuzzWITMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzWIT)
}
