import DemoBackend
import Foundation
import Testing

@Suite struct DemoWITFileTests {
    /// `demo/wit/demo.wit` (what `serve` and the container use) is the WIT the demo backend serves.
    @Test func checkedInWITMatchesTheBackend() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("demo/wit/demo.wit"), encoding: .utf8)
        #expect(file == DemoWIT.text + "\n", "regenerate with: wrpc-gateway demo-backend --print-wit > demo/wit/demo.wit")
    }
}
