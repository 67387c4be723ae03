import ComponentValues

/// How a top-level `stream<T>` result goes to the client.
enum StreamFormat {
    /// `stream<u8>`: the bytes, chunked.
    case octets
    /// One JSON value per line.
    case ndjson
    /// Server-Sent Events, one `data:` event per element.
    case sse
    /// Collected into one JSON value (`Accept: application/json`).
    case collected

    init(accept: String?, bytes: Bool) {
        let accept = accept?.lowercased() ?? ""
        if accept.contains("application/json") && !accept.contains("x-ndjson") {
            self = .collected
        } else if bytes {
            self = .octets
        } else if accept.contains("text/event-stream") {
            self = .sse
        } else {
            self = .ndjson
        }
    }

    var contentType: String {
        switch self {
        case .octets: return "application/octet-stream"
        case .ndjson: return "application/x-ndjson"
        case .sse: return "text/event-stream"
        case .collected: return "application/json"
        }
    }

    /// One element as this format frames it.
    func element(_ json: [UInt8]) -> [UInt8] {
        switch self {
        case .sse: return Array("data: ".utf8) + json + [0x0A, 0x0A]
        default: return json + [0x0A]
        }
    }

    /// How a failure after the status line is told to the client; nil where
    /// the only way is to cut the transfer short.
    func failure(_ error: GatewayError) -> [UInt8]? {
        let detail = JSONValue.object([("code", .string(error.code)), ("message", .string(error.message))])
        switch self {
        case .ndjson: return JSONValue.object([("error", detail)]).bytes + [0x0A]
        case .sse: return Array("event: error\ndata: ".utf8) + detail.bytes + [0x0A, 0x0A]
        case .octets, .collected: return nil
        }
    }
}
