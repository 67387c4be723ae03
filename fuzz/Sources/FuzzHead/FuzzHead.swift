import FuzzSupport
import HTTPHead

/// Arbitrary bytes as a request head, laid out as libmicrohttpd leaves it
/// (`InPlaceHead`) and put through the server's head rules in its order.
/// A head the rules accept must hold what they promise (`HeadInvariants`):
/// a broken promise is a crash, so libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let head = InPlaceHead(input) else { return 0 }
    let verdict = head.bytes.withUnsafeBytes {
        HeadRules.check(method: head.method, targetAt: head.targetAt, version: head.version, head: $0,
                        fields: head.fields, headers: head.headers)
    }
    guard case .success(let length) = verdict,
          FramingCheck.controlBytes(inTarget: head.target, versionFollows: head.versionFollows) == nil else { return 0 }
    HeadInvariants.check(head, length)
    return 0
}

@_cdecl("FuzzHead_main")
public func fuzzHeadMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHead)
}
