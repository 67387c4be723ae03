import Foundation
import Gateway
import Logging
import Testing
import TestSupport
import WIT

/// No silent empty gateway: a package with only a world serves that world;
/// one with several worlds, or nothing callable, refuses with the names to choose from.
@Suite struct WorldRuleTests {
    static let dependency = """
        package ns:pkg@0.1.0;
        interface iface {
          f: func() -> string;
          g: func(x: u8);
        }
        interface other {
          h: func();
        }
        """

    static func resolve(_ main: String, dependencies: [String] = [dependency]) throws -> Resolve {
        try Resolve.load(main: [SourceText(path: "main.wit", text: main)],
                         dependencies: dependencies.enumerated().map { [SourceText(path: "dep\($0.offset).wit", text: $0.element)] })
    }

    static func refusal(_ resolve: Resolve, world: String? = nil) -> String? {
        do {
            _ = try FunctionTable(resolve: resolve, world: world)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aPackageWithOnlyOneWorldServesThatWorld() throws {
        let table = try FunctionTable(resolve: try Self.resolve("package foo:bar; world w { import ns:pkg/iface@0.1.0; }"), world: nil)
        #expect(table.impliedWorld == "foo:bar/w")
        #expect(table.functions.map { "\($0.instance)/\($0.alias)" } == ["ns:pkg/iface@0.1.0/f", "ns:pkg/iface@0.1.0/g"])
    }

    @Test func importsAndExportsOfTheOnlyWorldIncludingInlineInterfaces() throws {
        let table = try FunctionTable(resolve: try Self.resolve("""
            package foo:bar;
            world w {
              import ns:pkg/iface@0.1.0;
              export ns:pkg/other@0.1.0;
              import inline: interface { i: func(); }
            }
            """), world: nil)
        #expect(table.impliedWorld == "foo:bar/w")
        #expect(Set(table.functions.map { "\($0.instance)/\($0.alias)" })
                == ["ns:pkg/iface@0.1.0/f", "ns:pkg/iface@0.1.0/g", "ns:pkg/other@0.1.0/h", "inline/i"])
    }

    @Test func severalWorldsAndNoInterfacesRefuseAndNameTheWorlds() throws {
        let resolve = try Self.resolve("""
            package foo:bar;
            world client { import ns:pkg/iface@0.1.0; }
            world server { export ns:pkg/iface@0.1.0; }
            """)
        let message = try #require(Self.refusal(resolve))
        #expect(message.contains("foo:bar/client") && message.contains("foo:bar/server") && message.contains("--world"))
        // Naming one still works.
        #expect(try FunctionTable(resolve: resolve, world: "server").functions.count == 2)
        #expect(try FunctionTable(resolve: resolve, world: "server").impliedWorld == nil)
    }

    @Test func nothingCallableRefusesAndNamesWorldsAndInterfaces() throws {
        // The main package's interfaces are served, but they hold no functions.
        let typesOnly = try Self.resolve("""
            package foo:bar;
            interface types { type id = u64; }
            world w { import ns:pkg/iface@0.1.0; export types; }
            """)
        let message = try #require(Self.refusal(typesOnly))
        #expect(message.contains("no callable functions in package foo:bar"))
        #expect(message.contains("foo:bar/w") && message.contains("foo:bar/types (0 functions)") && message.contains("ns:pkg/iface@0.1.0 (2 functions)"))
        // A named world with nothing callable refuses too.
        let empty = try Self.resolve("package foo:bar; interface types { type id = u64; } world w { export types; }", dependencies: [])
        #expect(Self.refusal(empty, world: "w")?.contains("no callable functions in world foo:bar/w") == true)
        // The only world, with only freestanding functions (which are not served).
        let freestanding = try Self.resolve("package foo:bar; world w { export run: func(); }", dependencies: [])
        #expect(Self.refusal(freestanding)?.contains("no callable functions in world foo:bar/w") == true)
    }

    @Test func theMainPackagesInterfacesStillComeFirst() throws {
        let table = try FunctionTable(resolve: try Self.resolve("""
            package foo:bar;
            interface mine { m: func(); }
            world w { import ns:pkg/iface@0.1.0; }
            """), world: nil)
        #expect(table.impliedWorld == nil)
        #expect(table.functions.map(\.instance) == ["foo:bar/mine"])
    }

    /// Shapes from the WIT corpus: wRPC's own examples and tests.
    @Test func corpusPackagesWithoutInterfaces() throws {
        let corpus = sharedDirectory + "/wit-corpus"
        let client = try FunctionTable(resolve: try Resolve.load(path: corpus + "/examples.go.hello-client/wit"), world: nil)
        #expect(client.impliedWorld == "wrpc-examples:hello-go-client/client")
        #expect(client.functions.map { "\($0.instance)/\($0.alias)" } == ["wrpc-examples:hello/handler/hello"])

        let keywords = try FunctionTable(resolve: try Resolve.load(path: corpus + "/codegen.keywords-in-interfaces-and-worlds/keywords-in-interfaces-and-worlds.wit"), world: nil)
        #expect(keywords.impliedWorld == "foo:foo/trait")
        #expect(keywords.functions.map { "\($0.instance)/\($0.alias)" } == ["continue/break", "match/return"])

        let versions = try Resolve.load(path: corpus + "/runtime.versions/wit")
        let message = try #require(Self.refusal(versions))
        #expect(message.contains("test:versions/runner") && message.contains("test:versions/test"))
    }

    /// Through the real server: the world's functions are what `/functions` lists.
    @Test func aGatewayServesTheOnlyWorld() async throws {
        var config = GatewayConfig(target: "tcp://127.0.0.1:1")
        config.port = 0
        let gateway = try Gateway(resolve: try Self.resolve("package foo:bar; world w { import ns:pkg/iface@0.1.0; }"), config: config,
                                  logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try gateway.start()
        let reply = try await http(gateway.port, "GET", "/functions")
        #expect(reply.status == 200)
        #expect(reply.json?[0]?["path"]?.stringValue == "/invoke/ns:pkg/iface@0.1.0/f")
        #expect(reply.json?[1]?["path"]?.stringValue == "/invoke/ns:pkg/iface@0.1.0/g")
        await gateway.shutdown()
    }
}
