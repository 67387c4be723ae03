import Foundation
import WIT

/// Parse + resolve of the largest entry of the shared WIT corpus, against
/// the baseline of merely reading its files into strings.
func witBenchmark(shared: String) throws {
    let corpus = shared + "/wit-corpus"
    let entries = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()
    func witFiles(_ entry: String) -> [String] {
        let dir = corpus + "/" + entry
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".wit") }.map { dir + "/" + $0 }
    }
    func size(_ entry: String) -> Int {
        witFiles(entry).reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    }
    guard let largest = entries.max(by: { size($0) < size($1) }) else { return }
    let files = witFiles(largest)
    let bytes = size(largest)
    let dir = corpus + "/" + largest
    let input = FileManager.default.fileExists(atPath: dir + "/wit") ? dir + "/wit" : files[0]

    let read = measure("read the files (baseline)", bytes: bytes) {
        for f in files { blackHole(try? String(contentsOfFile: f, encoding: .utf8)) }
    }
    let load = try measure("parse + resolve `\(largest)`", bytes: bytes) {
        blackHole(try Resolve.load(path: input))
    }
    let texts = try files.map { SourceText(path: $0, text: try String(contentsOfFile: $0, encoding: .utf8)) }
    let inMemory = try measure("parse + resolve, text already in memory", bytes: bytes) {
        blackHole(try Resolve.load(main: texts, dependencies: []))
    }
    report("WIT: largest corpus entry `\(largest)` (\(files.count) files, \(bytes) bytes)", [load, inMemory], baseline: read)
}
