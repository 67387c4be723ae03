import Logging

/// swift-log's text lines (`TIME LEVEL LABEL: key=value … [SOURCE] MESSAGE`)
/// with every value escaped: clients control paths, methods, header values
/// and JWT claims that end up in metadata, and a raw line break or space in
/// one would let them write a line, or a `key=value` field, of their own.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    private var inner: StreamLogHandler

    /// Lines on standard error.
    public init(label: String) {
        inner = StreamLogHandler.standardError(label: LogEscaping.escaped(label), metadataProvider: nil)
    }

    /// Lines on `stream`.
    public init(label: String, stream: any TextOutputStream & Sendable) {
        inner = StreamLogHandler(label: LogEscaping.escaped(label), stream: stream, metadataProvider: nil)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var escaped = event
        escaped.error = nil
        escaped.message = Logger.Message(stringLiteral: LogEscaping.escaped(event.message.description))
        escaped.metadata = Dictionary(merged.map { key, value in
            (LogEscaping.field(key), .string(LogEscaping.field(Self.text(value))))
        }, uniquingKeysWith: { $1 })
        inner.log(event: escaped)
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        if case .string(let s) = value { return s }
        return value.description
    }
}
