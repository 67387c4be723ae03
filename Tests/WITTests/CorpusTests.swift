import Foundation
import Testing
import TestSupport
@testable import WIT

/// The reference toolchain's listings for every entry of `../shared/wit-corpus`.
@Suite struct CorpusTests {
    static let entries: [String] = {
        let dir = sharedDirectory + "/wit-corpus"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }()

    @Test func corpusIsPresent() {
        #expect(Self.entries.count >= 15, "expected the shared WIT corpus at \(sharedDirectory)/wit-corpus")
    }

    @Test(arguments: entries)
    func listingMatchesReference(entry: String) throws {
        let dir = sharedDirectory + "/wit-corpus/" + entry
        var input = dir + "/wit"
        if !FileManager.default.fileExists(atPath: input) {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".wit") }
            try #require(files.count == 1, "\(entry): expected a wit/ folder or one .wit file")
            input = dir + "/" + files[0]
        }
        let expected = try String(contentsOfFile: dir + "/expected-signatures.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let actual = Signatures.lines(try Resolve.load(path: input))
        #expect(Set(actual).subtracting(expected).sorted() == [], "\(entry): lines the reference does not have")
        #expect(Set(expected).subtracting(actual).sorted() == [], "\(entry): lines we are missing")
        #expect(actual == actual.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}
