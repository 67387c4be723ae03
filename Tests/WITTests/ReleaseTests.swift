import Foundation
import Testing
import TestSupport
@testable import WIT

/// Everything a load allocates is freed once its `Resolve` is dropped: the
/// resolver's scopes, packages, interfaces, worlds and named types form no
/// reference cycle. LeakSanitizer's reports against `TypeScope.resolve`
/// are objects it cannot see: a `WITType` keeps its case in the
/// spare high bits of its pointer, so memory holding one does not contain
/// the object's address (scripts/lsan-suppressions.txt says more). This test
/// is the leak check LeakSanitizer cannot make for them.
@Suite struct ReleaseTests {
    /// A weak reference to one object a load produced.
    final class Watch {
        weak var object: AnyObject?
        let what: String
        init(_ object: AnyObject, _ what: String) {
            self.object = object
            self.what = what
        }
    }

    @Test(arguments: CorpusTests.entries)
    func loadKeepsNothingAlive(entry: String) throws {
        let watches = try Self.loadAndWatch(sharedDirectory + "/wit-corpus/" + entry)
        #expect(watches.count > 1, "\(entry): the walk found no objects")
        let alive = watches.filter { $0.object != nil }.map(\.what)
        #expect(alive == [], "\(entry): still alive after the Resolve was dropped")
    }

    /// A package with every kind of named type, loaded from memory, with a
    /// resource used through `own`, `borrow`, a constructor and a method.
    @Test func everyKindOfTypeIsFreed() throws {
        let text = """
            package t:release;
            interface a {
              record r { x: list<option<u8>>, y: tuple<u8, string> }
              variant v { one(r), two }
              enum e { p, q }
              flags f { m, n }
              resource res { constructor(); get: func(v: v) -> result<e, f>; make: static func() -> res; }
              take: func(x: own<res>, y: borrow<res>, z: list<r>) -> option<v>;
            }
            interface b { use a.{r, res}; use-it: func(x: r, y: borrow<res>); }
            world w { import b; export a; import inline: interface { use a.{e}; g: func() -> e; } }
            """
        let watches = try Self.loadAndWatch(text: text)
        #expect(watches.count >= 10)
        let alive = watches.filter { $0.object != nil }.map(\.what)
        #expect(alive == [])
    }

    @inline(never)
    static func loadAndWatch(_ entryDirectory: String) throws -> [Watch] {
        var input = entryDirectory + "/wit"
        if !FileManager.default.fileExists(atPath: input) {
            let files = try FileManager.default.contentsOfDirectory(atPath: entryDirectory).filter { $0.hasSuffix(".wit") }
            try #require(files.count == 1)
            input = entryDirectory + "/" + files[0]
        }
        return watch(try Resolve.load(path: input))
    }

    @inline(never)
    static func loadAndWatch(text: String) throws -> [Watch] {
        watch(try load(text))
    }

    /// Weak references to every class instance reachable from `resolve`.
    static func watch(_ resolve: Resolve) -> [Watch] {
        var out: [Watch] = []
        var seen: Set<ObjectIdentifier> = []
        func add(_ object: AnyObject, _ what: String) -> Bool {
            guard seen.insert(ObjectIdentifier(object)).inserted else { return false }
            out.append(Watch(object, what))
            return true
        }
        func type(_ t: WITType) {
            switch t {
            case .primitive: break
            case .list(let e), .fixedList(let e, _), .option(let e): type(e)
            case .map(let k, let v): type(k); type(v)
            case .result(let ok, let err): ok.map(type); err.map(type)
            case .tuple(let ts): ts.forEach(type)
            case .future(let e), .stream(let e): e.map(type)
            case .record(let r): if add(r, "record \(r.origin)") { r.fields.forEach { type($0.type) } }
            case .variant(let v): if add(v, "variant \(v.origin)") { v.cases.forEach { $0.type.map(type) } }
            case .enumeration(let e): _ = add(e, "enum \(e.origin)")
            case .flags(let f): _ = add(f, "flags \(f.origin)")
            case .own(let r), .borrow(let r): _ = add(r, "resource \(r.origin)")
            }
        }
        func function(_ f: Function) {
            switch f.kind {
            case .freestanding: break
            case .method(let r), .static(let r), .constructor(let r): _ = add(r, "resource \(r.origin)")
            }
            f.params.forEach { type($0.type) }
            f.result.map(type)
        }
        func interface(_ i: Interface) {
            guard add(i, "interface \(i.qualifiedName)") else { return }
            i.types.forEach { type($0.type) }
            i.functions.forEach(function)
        }
        for package in resolve.packages {
            _ = add(package, "package \(package.name)")
            package.interfaces.forEach(interface)
            for world in package.worlds {
                _ = add(world, "world \(world.qualifiedName)")
                world.types.forEach { type($0.type) }
                for item in world.imports + world.exports {
                    switch item {
                    case .interface(let i), .keyedInterface(_, let i): interface(i)
                    case .function(let f): function(f)
                    }
                }
            }
        }
        return out
    }
}
