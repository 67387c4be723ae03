import Foundation

/// Flags fall back to `WRPC_GATEWAY_<NAME>` environment variables, so a
/// container is configured without a command line.
enum Environment {
    static func value(_ flag: String) -> String? {
        let name = "WRPC_GATEWAY_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
        return ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func pick<T>(_ given: T?, _ flag: String, default fallback: T, parse: (String) -> T?) throws -> T {
        try pick(given, flag, parse: parse) ?? fallback
    }

    /// A flag with no default: the flag, else the variable, else nil. (The
    /// form above with `default: nil` would make `T` optional and take a
    /// nil flag as given, never reading the variable.)
    static func pick<T>(_ given: T?, _ flag: String, parse: (String) -> T?) throws -> T? {
        if let given { return given }
        guard let text = value(flag) else { return nil }
        guard let parsed = parse(text) else {
            throw CLIError("WRPC_GATEWAY_\(flag.uppercased().replacingOccurrences(of: "-", with: "_"))=\(text) is not valid")
        }
        return parsed
    }

    /// A repeatable flag's values, or else the comma-separated variable's.
    static func list(_ given: [String], _ flag: String) -> [String] {
        given.isEmpty ? (value(flag)?.split(separator: ",").map(String.init) ?? []) : given
    }

    /// Backend URLs: a repeatable flag whose values may each be
    /// comma-separated too, or else the comma-separated variable.
    static func urls(_ given: [String], _ flag: String) -> [String] {
        list(given, flag).flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `HOST:PORT`, `[::1]:PORT` or `:PORT`.
func parseListen(_ text: String) throws -> (String, Int) {
    var host = "127.0.0.1"
    var portText = text
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        host = String(text[text.index(after: text.startIndex)..<close])
        portText = String(text[text.index(after: close)...].dropFirst())
    } else if let colon = text.lastIndex(of: ":") {
        if colon != text.startIndex { host = String(text[..<colon]) }
        portText = String(text[text.index(after: colon)...])
    }
    guard let port = Int(portText), (0...65535).contains(port) else {
        throw CLIError("--listen \(text): expected HOST:PORT, e.g. 0.0.0.0:8080 or [::1]:8080")
    }
    return (host, port)
}
