/// One kind of call in the soak's mix, and how it is checked.
enum SoakCall: String, CaseIterable, Sendable {
    /// `greeter.hello`: the small call whose latency the rows show.
    case hello
    /// `blobs.count` n = 2,000 as NDJSON (a streamed result).
    case count
    /// `blobs.upload` of 256 KiB (a `stream<u8>` parameter).
    case upload
    /// `blobs.download` n = 256 KiB (a `stream<u8>` result).
    case download
    /// `keyvalue.open` on the route whose backend refuses connections; only
    /// sent during a `refuse` fault.
    case refused

    static let countN = 2000
    static let transferBytes = 256 << 10
    /// Every call's `Wrpc-Timeout-Ms`: a hung backend's calls get 504 this
    /// long after they were sent.
    static let timeoutMs = 3000

    /// The usual mix out of 100 draws: 86 hello, 6 count, 4 upload, 4 download.
    static func pick(_ draw: Int) -> SoakCall {
        switch draw {
        case ..<86: .hello
        case ..<92: .count
        case ..<96: .upload
        default: .download
        }
    }

    /// What the call got.
    enum Outcome {
        case ok
        /// Answered with a status other than 200.
        case status(Int)
        /// 200, but the streamed body was cut short or ended with an error
        /// row, or did not hold what was asked for.
        case cut(String)
        /// No answer: the connection failed or timed out.
        case failed(String)
    }

    /// Makes the call on `http`; an error thrown means the connection is
    /// no longer usable.
    func run(on http: HTTPConnection) throws -> Outcome {
        let json = ["Content-Type: application/json", "Wrpc-Timeout-Ms: \(Self.timeoutMs)"]
        let reply: HTTPReply
        do {
            switch self {
            case .hello:
                reply = try http.request("POST", DemoAPI.hello, headers: json, body: DemoAPI.helloBody)
            case .count:
                reply = try http.request("POST", Self.blobs + "count", headers: json, body: Array("{\"n\":\(Self.countN)}".utf8))
            case .download:
                reply = try http.request("POST", Self.blobs + "download", headers: json, body: Array("{\"n\":\(Self.transferBytes)}".utf8))
            case .upload:
                reply = try http.request("POST", DemoAPI.upload, headers: ["Content-Type: application/octet-stream", "Wrpc-Timeout-Ms: \(Self.timeoutMs)"],
                                         body: Self.uploadBody)
            case .refused:
                reply = try http.request("POST", "/invoke/wrpc-gateway:demo/keyvalue@0.1.0/open", headers: json, body: Array("{\"identifier\":\"soak\"}".utf8))
            }
        } catch let error as BenchError where error.description == "chunked body cut short" {
            throw Cut(reason: error.description)
        }
        guard reply.status == 200 else { return .status(reply.status) }
        switch self {
        case .hello:
            return reply.text.contains("bench") ? .ok : .cut("hello answered \(reply.text.prefix(80))")
        case .count:
            // NDJSON: "1\n" … "2000\n"; a failure ends with an error row.
            let rows = reply.body.count { $0 == 10 }
            return rows == Self.countN && reply.text.hasSuffix("\n\(Self.countN)\n") ? .ok : .cut("count: \(rows) rows, ends \(reply.text.suffix(80))")
        case .download:
            return reply.body.count == Self.transferBytes ? .ok : .cut("download: \(reply.body.count) bytes")
        case .upload:
            return reply.text.contains("\"bytes\":\(Self.transferBytes)") ? .ok : .cut("upload answered \(reply.text.prefix(120))")
        case .refused:
            return .cut("the refusing route answered 200")
        }
    }

    /// A chunked body cut short: the call's outcome, but the connection is gone too.
    struct Cut: Error { let reason: String }

    private static let blobs = "/invoke/wrpc-gateway:demo/blobs@0.1.0/"
    private static let uploadBody = [UInt8](repeating: 0x5A, count: transferBytes)
}
