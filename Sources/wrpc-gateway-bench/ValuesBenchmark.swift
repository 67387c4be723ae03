import ComponentValues
import Foundation
import WIT

/// JSON ⇄ CM transcoding throughput, each case against Foundation's
/// JSONSerialization merely parsing the same JSON text.
func valuesBenchmark(shared: String) throws {
    let resolve = try Resolve.load(main: [SourceText(path: "bench.wit", text: """
        package bench:values;
        interface t {
          record item { id: u64, name: string, price: f64, tags: list<string>, in-stock: bool }
          type blob = list<u8>;
          type items = list<item>;
          record node { value: s32, children: list<list<list<list<list<list<list<list<option<u32>>>>>>>>> }
          type deep = list<node>;
        }
        """)], dependencies: [])
    let types = Dictionary(uniqueKeysWithValues: resolve.main.interface(named: "t")!.types.map { ($0.name, $0.type) })

    var rng = SystemRandomNumberGenerator()
    let blob = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let blobJSON = Array(("\"" + Data(blob).base64EncodedString() + "\"").utf8)

    var items = "["
    for i in 0..<10_000 {
        if i > 0 { items += "," }
        items += "{\"id\":\(UInt64.max - UInt64(i)),\"name\":\"item number \(i)\",\"price\":\(Double(i) * 1.25),\"tags\":[\"a\",\"bb\"],\"in-stock\":\(i % 2 == 0)}"
    }
    items += "]"
    let itemsJSON = Array(items.utf8)

    let leaf = "[[[[[[[[1,null,3]]]]]]]]"
    let deep = "[" + (0..<2_000).map { "{\"value\":-\($0),\"children\":\(leaf)}" }.joined(separator: ",") + "]"
    let deepJSON = Array(deep.utf8)

    for (title, json, type, count) in [
        ("(a) 1 MiB list<u8> as base64", blobJSON, types["blob"]!, 1),
        ("(b) 10,000 records with strings and numbers", itemsJSON, types["items"]!, 10_000),
        ("(c) 2,000 records nested 10 levels deep", deepJSON, types["deep"]!, 2_000),
    ] {
        let data = Data(json)
        let baseline = measure("Foundation JSONSerialization, parse only (baseline)", bytes: json.count) {
            blackHole(try? JSONSerialization.jsonObject(with: data))
        }
        var encoded: [UInt8] = []
        let encode = try measure("JSON → CM bytes (ValueEncoder)", bytes: json.count) {
            encoded.removeAll(keepingCapacity: true)
            try ValueEncoder.encode(json: json, as: type, into: &encoded)
        }
        let bytes = encoded
        let decode = try measure("CM bytes → JSON (ValueDecoder)", bytes: json.count) {
            var d = ValueDecoder(types: [type], shape: .bare)
            _ = try d.feed(bytes)
            blackHole(d.json.count)
        }
        let split = try measure("CM bytes → JSON, fed in 4 KiB pieces", bytes: json.count) {
            var d = ValueDecoder(types: [type], shape: .bare)
            var i = 0
            while i < bytes.count {
                _ = try d.feed(bytes[i..<min(i + 4096, bytes.count)])
                i += 4096
            }
            blackHole(d.json.count)
        }
        report("Values: \(title) — \(json.count) bytes of JSON, \(bytes.count) bytes CM, \(count) values", [encode, decode, split], baseline: baseline)
        print("values/s: encode \(Int(Double(count) * encode.opsPerSecond)), decode \(Int(Double(count) * decode.opsPerSecond)); speed vs baseline: encode \(String(format: "%.2f", baseline.nanosecondsPerOp / encode.nanosecondsPerOp))×, decode \(String(format: "%.2f", baseline.nanosecondsPerOp / decode.nanosecondsPerOp))×\n")
    }
}
