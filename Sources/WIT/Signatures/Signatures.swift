/// The canonical one-line-per-function listing of `wit-signatures.md`, used
/// both by `wrpc-gateway wit signatures` and as the parser's conformance check.
public enum Signatures {
    public static func lines(_ resolve: Resolve) -> [String] {
        var out: [String] = []
        for package in resolve.packages {
            for iface in package.interfaces {
                for f in iface.functions { out.append("\(iface.qualifiedName)#\(f.name): \(signature(f))") }
            }
            for world in package.worlds {
                for (direction, items) in [("import", world.imports), ("export", world.exports)] {
                    for item in items {
                        switch item {
                        case .interface:
                            continue
                        case .function(let f):
                            out.append("\(world.qualifiedName)[\(direction)]#\(f.name): \(signature(f))")
                        case .keyedInterface(let key, let iface):
                            for f in iface.functions {
                                out.append("\(world.qualifiedName)[\(direction) \(key)]#\(f.name): \(signature(f))")
                            }
                        }
                    }
                }
            }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// `async (a: T, b: U) -> R`
    public static func signature(_ f: Function) -> String {
        let params = f.params.map { "\($0.name): \(spell($0.type))" }.joined(separator: ", ")
        var s = "\(f.isAsync ? "async " : "")(\(params))"
        if let result = f.result { s += " -> \(spell(result))" }
        return s
    }

    /// A type written out by structure, without spaces, as the listing spells it.
    public static func spell(_ type: WITType) -> String {
        switch type {
        case .primitive(let p): return p.rawValue
        case .list(let t): return "list<\(spell(t))>"
        case .fixedList(let t, let n): return "list<\(spell(t)),\(n)>"
        case .map(let k, let v): return "map<\(spell(k)),\(spell(v))>"
        case .option(let t): return "option<\(spell(t))>"
        case .result(nil, nil): return "result"
        case .result(let ok?, nil): return "result<\(spell(ok))>"
        case .result(nil, let err?): return "result<_,\(spell(err))>"
        case .result(let ok?, let err?): return "result<\(spell(ok)),\(spell(err))>"
        case .tuple(let ts): return "tuple<\(ts.map(spell).joined(separator: ","))>"
        case .record(let r): return "record{\(r.fields.map { "\($0.name):\(spell($0.type))" }.joined(separator: ","))}"
        case .variant(let v):
            return "variant{\(v.cases.map { c in c.type.map { "\(c.name)(\(spell($0)))" } ?? c.name }.joined(separator: ","))}"
        case .enumeration(let e): return "enum{\(e.cases.joined(separator: ","))}"
        case .flags(let f): return "flags{\(f.flags.joined(separator: ","))}"
        case .own(let r): return "own<\(r.origin)>"
        case .borrow(let r): return "borrow<\(r.origin)>"
        case .future(let t): return t.map { "future<\(spell($0))>" } ?? "future"
        case .stream(let t): return t.map { "stream<\(spell($0))>" } ?? "stream"
        }
    }
}
