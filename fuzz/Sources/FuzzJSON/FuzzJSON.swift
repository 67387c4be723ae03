import ComponentValues
import FuzzSupport

/// The JSON reader on arbitrary bytes: an error or a value, never a crash,
/// and a value it accepted reads back the same once written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let value = try? JSONValue(parsing: bytes) else { return 0 }
    let written = value.bytes
    guard let again = try? JSONValue(parsing: written), again.bytes == written else {
        fatalError("JSON written by the reader does not read back: \(String(decoding: written, as: UTF8.self))")
    }
    return 0
}

@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzJSON)
}
