import Foundation
import Synchronization

/// How far an upload running on another thread has got.
final class UploadProgress: Sendable {
    private let sentBytes = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)

    var sent: Int { sentBytes.load(ordering: .relaxed) }
    var isFinished: Bool { finished.load(ordering: .acquiring) }
    fileprivate func add(_ n: Int) { sentBytes.add(n, ordering: .relaxed) }
    fileprivate func finish() { finished.store(true, ordering: .releasing) }
}

/// What one upload achieved.
struct UploadResult {
    let bytes: Int
    let seconds: Double
    /// The backend answered 200 with `"bytes":<all of them>`.
    let complete: Bool
    let reply: String

    var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
}

/// POSTs `size` bytes to the demo `blobs.upload` through the gateway at
/// `port`, as one `application/octet-stream` body with a Content-Length.
/// The body is one 256 KiB chunk sent over and over, so a 1 GiB upload never
/// holds more than that in memory. Blocking: run it with `onOwnThread`.
func upload(port: Int, size: Int, progress: UploadProgress = UploadProgress(), cancel: CancelFlag) throws -> UploadResult {
    defer { progress.finish() }
    let start = ContinuousClock.now
    let http = try HTTPConnection(port: port, timeoutSeconds: 600)
    try http.send(HTTPConnection.head("POST", DemoAPI.upload, headers: [
        "Content-Type: application/octet-stream", "Wrpc-Timeout-Ms: 600000", "Connection: close",
    ], contentLength: size))
    let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)
    try chunk.withUnsafeBytes { whole in
        var sent = 0
        while sent < size {
            if cancel.isCancelled { throw CancellationError() }
            let n = min(whole.count, size - sent)
            try http.send(UnsafeRawBufferPointer(rebasing: whole[..<n]))
            sent += n
            progress.add(n)
        }
    }
    let reply = try http.readResponse()
    return UploadResult(bytes: size, seconds: (ContinuousClock.now - start).seconds,
                        complete: reply.status == 200 && reply.text.contains("\"bytes\":\(size)"),
                        reply: "\(reply.status) \(reply.text.prefix(200))")
}
