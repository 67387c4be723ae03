import WasiHTTP
import WIT

/// Where `--wit` points: a file or package directory, or one of the
/// interface definitions built into the binary (`builtin:wrpc-http`: the
/// `wrpc:http@0.1.0` packages the egress and forwards speak, so a gateway
/// can call an egress or an incoming handler with JSON without a WIT on disk).
enum WITSource {
    static let builtins: [String: @Sendable () throws -> Resolve] = [
        "builtin:wrpc-http": WrpcHTTPWIT.resolve,
    ]

    static func load(_ path: String, options: LoadOptions = LoadOptions()) throws -> Resolve {
        if path.hasPrefix("builtin:") {
            guard let make = builtins[path] else {
                throw CLIError("--wit \(path): no such built-in WIT; known: \(builtins.keys.sorted().joined(separator: ", "))")
            }
            return try make()
        }
        do {
            return try Resolve.load(path: path, options: options)
        } catch {
            throw CLIError("\(error)")
        }
    }
}
