import ComponentValues
import Foundation
import Logging

/// One JSON object per line on standard error, for log collectors.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, extra = event.metadata
        var members: [(String, JSONValue)] = [
            ("time", .string(ISO8601DateFormatter().string(from: Date()))),
            ("level", .string(level.rawValue)),
            ("logger", .string(label)),
            ("message", .string(message.description)),
        ]
        for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            members.append((k, .string(v.description)))
        }
        FileHandle.standardError.write(Data(JSONValue.object(members).bytes + [0x0A]))
    }
}
