import Gateway
import Testing
import TestSupport

/// A gateway that was shut down is freed. The HTTP server held its
/// responder, which held the gateway, which held the server: every gateway
/// made stayed in memory with its pools and metrics (LeakSanitizer's
/// report of the suite: about 1 MB, one gateway per test that made one).
@Suite struct GatewayLifetimeTests {
    @Test func aShutDownGatewayIsFreed() async throws {
        weak var gateway: Gateway?
        do {
            let stack = try Stack()
            gateway = stack.gateway
            let reply = try await post(stack.port, greeter, "hello", #"{"name":"x"}"#)
            #expect(reply.status == 200)
            await stack.stop()
        }
        // Tasks the gateway started (a pool's probes) may still be ending on
        // their loops; they hold it only weakly or briefly.
        #expect(await eventually(by: .now + .seconds(10)) { gateway == nil }, "something still holds the gateway")
    }
}
