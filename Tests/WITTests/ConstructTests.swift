import Foundation
import Testing
@testable import WIT

@Suite struct ConstructTests {
    @Test func everyPrimitiveAndStructuralType() throws {
        let lines = try signatures("""
            package t:types@0.1.0;
            interface all {
              prims: func(a: bool, b: u8, c: u16, d: u32, e: u64, f: s8, g: s16, h: s32, i: s64,
                          j: f32, k: f64, l: char, m: string, n: error-context);
              lists: func(a: list<u8>, b: list<u32, 4>, c: map<string, list<u8>>) -> tuple<u8, string>;
              results: func(a: result, b: result<u8>, c: result<_, string>, d: result<u8, string>) -> option<option<u8>>;
              asyncs: func(a: future, b: future<u8>, c: stream, d: stream<string>);
            }
            """)
        #expect(lines == [
            "t:types/all@0.1.0#asyncs: (a: future, b: future<u8>, c: stream, d: stream<string>)",
            "t:types/all@0.1.0#lists: (a: list<u8>, b: list<u32,4>, c: map<string,list<u8>>) -> tuple<u8,string>",
            "t:types/all@0.1.0#prims: (a: bool, b: u8, c: u16, d: u32, e: u64, f: s8, g: s16, h: s32, i: s64, j: f32, k: f64, l: char, m: string, n: error-context)",
            "t:types/all@0.1.0#results: (a: result, b: result<u8>, c: result<_,string>, d: result<u8,string>) -> option<option<u8>>",
        ])
    }

    @Test func namedTypesForwardReferencesAndTrailingCommas() throws {
        let lines = try signatures("""
            package t:named;
            interface i {
              f: func(a: alias-of-rec, b: v, c: e, d: fl);
              type alias-of-rec = rec;
              record rec { x: u8, y: list<e>, }
              variant v { none, some(rec), }
              enum e { a, b, }
              flags fl { read, write, }
            }
            """)
        #expect(lines == ["t:named/i#f: (a: record{x:u8,y:list<enum{a,b}>}, b: variant{none,some(record{x:u8,y:list<enum{a,b}>})}, c: enum{a,b}, d: flags{read,write})"])
    }

    @Test func resourcesWithEveryKindOfFunctionAndHandle() throws {
        let resolve = try load("""
            package t:res;
            interface i {
              resource r {
                constructor(x: u32);
                m: func(other: borrow<r>) -> own<r>;
                s: static func(x: r) -> r;
              }
              resource fallible {
                constructor() -> result<fallible, string>;
              }
              type r-alias = r;
              take: func(a: r-alias, b: borrow<r-alias>);
            }
            """)
        let lines = Signatures.lines(resolve)
        #expect(lines == [
            "t:res/i#[constructor]fallible: () -> result<own<t:res/i.fallible>,string>",
            "t:res/i#[constructor]r: (x: u32) -> own<t:res/i.r>",
            "t:res/i#[method]r.m: (self: borrow<t:res/i.r>, other: borrow<t:res/i.r>) -> own<t:res/i.r>",
            "t:res/i#[static]r.s: (x: own<t:res/i.r>) -> own<t:res/i.r>",
            "t:res/i#take: (a: own<t:res/i.r>, b: borrow<t:res/i.r>)",
        ])
        let iface = try #require(resolve.main.interface(named: "i"))
        #expect(iface.function(named: "[method]r.m")?.wireName == "r.m")
        #expect(iface.function(named: "[constructor]r")?.wireName == "r")
        #expect(iface.function(named: "[static]r.s")?.wireName == "r.s")
        #expect(iface.function(named: "take")?.wireName == "take")
    }

    @Test func asyncFunctionsEverywhere() throws {
        let lines = try signatures("""
            package t:asy;
            interface i { f: async func(x: u32) -> u32; resource r { m: async func(); s: static async func(); } }
            world w { import g: async func(); }
            """)
        #expect(lines == [
            "t:asy/i#[method]r.m: async (self: borrow<t:asy/i.r>)",
            "t:asy/i#[static]r.s: async ()",
            "t:asy/i#f: async (x: u32) -> u32",
            "t:asy/w[import]#g: async ()",
        ])
    }

    @Test func escapedIdentifiersAndKeywordNames() throws {
        let lines = try signatures("""
            package t:esc;
            interface %interface { %record: func(%type: u8) -> %list; type %list = list<u8>; }
            world w { import %use: interface { %func: func(); } }
            """)
        #expect(lines == [
            "t:esc/interface#record: (type: u8) -> list<u8>",
            "t:esc/w[import use]#func: ()",
        ])
    }

    @Test func docCommentsAreKept() throws {
        let resolve = try load("""
            package t:docs;
            /// The greeter.
            /** More about it. */
            interface greeter {
              /// Says hello
              /// to `name`.
              hello: func(name: string) -> string;
              // not a doc comment
              //// not one either
              bye: func();
              /// A record.
              record person {
                /// The name.
                name: string,
              }
            }
            """)
        let iface = try #require(resolve.main.interface(named: "greeter"))
        #expect(iface.docs == "The greeter.\nMore about it.")
        #expect(iface.function(named: "hello")?.docs == "Says hello\nto `name`.")
        #expect(iface.function(named: "bye")?.docs == nil)
        guard case .record(let person)? = iface.types.first(where: { $0.name == "person" })?.type else {
            Issue.record("person is not a record"); return
        }
        #expect(person.docs == "A record.")
        #expect(person.fields[0].docs == "The name.")
    }

    @Test func gates() throws {
        let source = """
            package t:gates@1.0.0;
            @since(version = 1.0.0)
            interface i {
              @since(version = 1.0.0)
              stable: func();
              @unstable(feature = shiny)
              shiny: func();
              @deprecated(version = 1.0.0)
              old: func();
              @unstable(feature = shiny)
              resource r { @unstable(feature = shiny) m: func(); }
            }
            @unstable(feature = other)
            interface hidden { f: func(); }
            """
        #expect(try signatures(source) == ["t:gates/i@1.0.0#old: ()", "t:gates/i@1.0.0#stable: ()"])
        #expect(try signatures(source, options: LoadOptions(features: ["shiny"])) == [
            "t:gates/i@1.0.0#[method]r.m: (self: borrow<t:gates/i@1.0.0.r>)",
            "t:gates/i@1.0.0#old: ()", "t:gates/i@1.0.0#shiny: ()", "t:gates/i@1.0.0#stable: ()",
        ])
        #expect(try signatures(source, options: LoadOptions(allFeatures: true)).contains("t:gates/hidden@1.0.0#f: ()"))
    }

    @Test func usesWithinAndAcrossPackagesWithRenames() throws {
        let dep = """
            package d:dep@0.2.0;
            interface types { resource handle; record point { x: s32, y: s32 } }
            """
        let lines = try signatures("""
            package t:uses;
            use d:dep/types@0.2.0 as dt;
            interface a { use dt.{point as pt, handle}; f: func(p: pt, h: borrow<handle>); type local = pt; }
            interface b { use a.{local}; use d:dep/types@0.2.0.{point}; g: func(l: local, p: point); }
            """, deps: [dep])
        #expect(lines == [
            "t:uses/a#f: (p: record{x:s32,y:s32}, h: borrow<d:dep/types@0.2.0.handle>)",
            "t:uses/b#g: (l: record{x:s32,y:s32}, p: record{x:s32,y:s32})",
        ])
    }

    @Test func versionlessReferenceToTheOnlyVersionLoaded() throws {
        let lines = try signatures("""
            package t:v;
            interface a { use d:dep/types.{t}; f: func(x: t); }
            """, deps: ["package d:dep@1.2.3; interface types { type t = u8; }"])
        #expect(lines == ["t:v/a#f: (x: u8)"])
    }

    @Test func twoVersionsSideBySideAndUnreferencedDeps() throws {
        let lines = try signatures("""
            package t:main;
            world w { import d:dep/i@1.0.0; import d:dep/i@2.0.0; }
            """, deps: [
                "package d:dep@1.0.0; interface i { f: func(); }",
                "package d:dep@2.0.0; interface i { g: func(); }",
                "package d:unused; interface x { h: func(); }",
            ])
        #expect(lines == ["d:dep/i@1.0.0#f: ()", "d:dep/i@2.0.0#g: ()", "d:unused/x#h: ()"])
    }

    @Test func worldsImportExportIncludeAndUse() throws {
        let resolve = try load("""
            package t:w;
            interface types { resource z; type n = u32; }
            world base {
              import log: func(msg: string);
              export run: interface { go: func() -> n; use types.{n}; }
              resource local { constructor(); }
            }
            world full {
              use types.{z};
              include base with { log as trace };
              export named: func(a: borrow<z>);
              import types;
            }
            """)
        let lines = Signatures.lines(resolve)
        #expect(lines == [
            "t:w/base[export run]#go: () -> u32",
            "t:w/base[import]#[constructor]local: () -> own<t:w/base.local>",
            "t:w/base[import]#log: (msg: string)",
            "t:w/full[export run]#go: () -> u32",
            "t:w/full[export]#named: (a: borrow<t:w/types.z>)",
            "t:w/full[import]#[constructor]local: () -> own<t:w/base.local>",
            "t:w/full[import]#trace: (msg: string)",
        ])
        let full = try #require(resolve.main.world(named: "full"))
        // The world-level `use` imports its interface, once even when also imported by name.
        let importedInterfaces = full.imports.compactMap { item -> String? in
            if case .interface(let i) = item { return i.qualifiedName }
            return nil
        }
        #expect(importedInterfaces == ["t:w/types"])
    }

    /// `import key: iface;` — a named interface under a plain name ("implements").
    @Test func namedInterfaceUnderAKey() throws {
        let resolve = try load("""
            package t:keyed;
            interface store { get: func(key: string) -> option<string>; }
            world w { import primary: store; export backup: t:keyed/store; }
            """)
        #expect(Signatures.lines(resolve) == [
            "t:keyed/store#get: (key: string) -> option<string>",
            "t:keyed/w[export backup]#get: (key: string) -> option<string>",
            "t:keyed/w[import primary]#get: (key: string) -> option<string>",
        ])
        let w = try #require(resolve.main.world(named: "w"))
        guard case .keyedInterface(let key, let iface)? = w.imports.first else { Issue.record("not keyed"); return }
        #expect(key == "primary" && iface.qualifiedName == "t:keyed/store")
    }

    @Test func multiFilePackagesAndNestedPackages() throws {
        let resolve = try Resolve.load(main: [
            SourceText(path: "a.wit", text: "package t:multi@1.0.0; interface a { use b.{t}; f: func(x: t); }"),
            SourceText(path: "b.wit", text: """
                package t:multi@1.0.0;
                interface b { type t = string; }
                package t:inner { interface n { use t:multi/b@1.0.0.{t}; g: func(x: t); } }
                """),
        ], dependencies: [])
        #expect(Signatures.lines(resolve) == ["t:inner/n#g: (x: string)", "t:multi/a@1.0.0#f: (x: string)"])
        #expect(resolve.main.name.description == "t:multi@1.0.0")
        #expect(resolve.packages.map(\.name.description) == ["t:inner", "t:multi@1.0.0"] ||
                resolve.packages.last?.name.description == "t:multi@1.0.0")
    }

    @Test func directoryWithDepsFoldersAndFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("deps/whatever-name"), withIntermediateDirectories: true)
        try "package t:root; world w { import d:folder/i; }".write(to: root.appendingPathComponent("root.wit"), atomically: true, encoding: .utf8)
        try "package d:folder; interface i { f: func(); }".write(to: root.appendingPathComponent("deps/whatever-name/x.wit"), atomically: true, encoding: .utf8)
        try "package d:file; interface j { g: func(); }".write(to: root.appendingPathComponent("deps/single.wit"), atomically: true, encoding: .utf8)
        try "not wit".write(to: root.appendingPathComponent("deps/README.md"), atomically: true, encoding: .utf8)
        let resolve = try Resolve.load(path: root.path)
        #expect(Signatures.lines(resolve) == ["d:file/j#g: ()", "d:folder/i#f: ()"])
        #expect(resolve.packages.last?.name.description == "t:root")
    }

    @Test func packageDependenciesComeFirst() throws {
        let resolve = try load("package t:top; interface a { use d:mid/m.{x}; f: func(v: x); }", deps: [
            "package d:mid; interface m { use d:low/l.{x}; }",
            "package d:low; interface l { type x = u8; }",
        ])
        #expect(resolve.packages.map(\.name.description) == ["d:low", "d:mid", "t:top"])
    }
}
