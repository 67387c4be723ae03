import ArgumentParser
import EdgePolicy
import Foundation
import Gateway
import WIT

struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the OpenAPI 3.1 document the gateway serves at /openapi.json for this WIT."
    )

    @Option(help: "A .wit file or a WIT package directory.")
    var wit: String

    @Option(help: "Document the interfaces this world imports and exports. [default: every interface of the main package]")
    var world: String?

    @Option(name: .customLong("feature"), help: "Enable @unstable items of this feature; repeatable.")
    var features: [String] = []

    @Flag(name: .customLong("url-streams"), help: "Document {\"url\": …} as an alternative for stream<u8> parameters (as with --allow-url-prefix).")
    var urlStreams = false

    @Option(name: .customLong("expose"), help: "Document only functions matching this glob over INSTANCE/FUNCTION, as `serve --expose` serves them; repeatable.")
    var expose: [String] = []

    @Option(name: .customLong("hide"), help: "Leave out functions matching this glob, as `serve --hide` does; repeatable.")
    var hide: [String] = []

    func run() throws {
        let resolve = try WITSource.load(wit, options: LoadOptions(features: Set(features)))
        let everything = try FunctionTable(resolve: resolve, world: world)
        if let implied = everything.impliedWorld {
            FileHandleOutput.standardError("documenting world \(implied), the only world of package \(resolve.main.name), which has no interfaces\n")
        }
        let exposure = Exposure(expose: expose, hide: hide)
        let table = everything.filtered { exposure.serves($0.names) }
        FileHandle.standardOutput.write(Data(OpenAPIDocument.generate(table: table, title: "wrpc-gateway: \(resolve.main.name)", urlStreams: urlStreams)))
    }
}
