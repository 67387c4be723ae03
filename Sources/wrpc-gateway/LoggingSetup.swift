import Gateway
import Logging

/// Bootstraps swift-log from `--log-format` and `--log-level` (or their
/// WRPC_GATEWAY_ variables): text or JSON lines on standard error.
func startLogging(format given: String?, level levelGiven: String?) throws {
    let format = try Environment.pick(given, "log-format", default: "text") { ["text", "json"].contains($0) ? $0 : nil }
    guard ["text", "json"].contains(format) else { throw CLIError("--log-format must be text or json") }
    let levelText = try Environment.pick(levelGiven, "log-level", default: "info") { $0 }
    guard let level = Logger.Level(rawValue: levelText) else { throw CLIError("--log-level \(levelText) is not a level") }
    LoggingSystem.bootstrap { label in
        var handler: any LogHandler = format == "json" ? JSONLogHandler(label: label) : TextLogHandler(label: label)
        handler.logLevel = level
        return handler
    }
}
