import Testing
@testable import WIT

/// Each class of error names the file, line and column of the offending token.
@Suite struct ErrorTests {
    func expect(_ source: String, deps: [String] = [], kind: WITError.Kind, line: Int, column: Int,
                mentions: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let error = loadError(source, deps: deps, sourceLocation: sourceLocation) else { return }
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location?.file == "main.wit", "\(error)", sourceLocation: sourceLocation)
        #expect(error.location?.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location?.column == column, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(mentions), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("main.wit:\(line):\(column): error: "), sourceLocation: sourceLocation)
    }

    @Test func syntaxErrors() {
        expect("package a:b;\ninterface i { f: func(x: u32) }", kind: .syntax, line: 2, column: 31, mentions: "expected `;`, found `}`")
        expect("package a:b;\ninterface i { f: func(x: u32,, y: u8); }", kind: .syntax, line: 2, column: 30, mentions: "expected a parameter name")
        expect("package a:b;\ninterface i { type: func(); }", kind: .syntax, line: 2, column: 19, mentions: "expected a type name")
        expect("package a:b;\ninterface i { f: func(x: %record); g: func(r: record); }", kind: .syntax, line: 2, column: 47, mentions: "expected a type, found keyword `record`")
        expect("package a:b@1.0;", kind: .syntax, line: 1, column: 13, mentions: "not a semantic version")
        expect("package a:b;\ninterface Foo-bar {}", kind: .syntax, line: 2, column: 11, mentions: "mixes upper and lower case")
        expect("package a:b;\ninterface i { f: func() -> list<u8, 0>; }", kind: .syntax, line: 2, column: 37, mentions: "fixed-length list size")
        expect("package a:b;\n/* open", kind: .syntax, line: 2, column: 1, mentions: "unterminated block comment")
        expect("package a:b;\ninterface i { @weird(x = y) f: func(); }", kind: .syntax, line: 2, column: 16, mentions: "unknown attribute")
        expect("interface i {}", kind: .syntax, line: 1, column: 11, mentions: "no `package` header")
        expect("package a:b;\ninterface i {\n  f: func();\n", kind: .syntax, line: 4, column: 1, mentions: "expected `}`, found end of file")
    }

    @Test func unknownNames() {
        expect("package a:b;\ninterface i {\n  f: func(x: nope);\n}", kind: .unknownName, line: 3, column: 14, mentions: "unknown type `nope`")
        expect("package a:b;\ninterface i { use j.{missing}; }\ninterface j {}", kind: .unknownName, line: 2, column: 22, mentions: "`missing` is not defined")
        expect("package a:b;\nworld w { import nope; }", kind: .unknownName, line: 2, column: 18, mentions: "`nope` is not an interface")
        expect("package a:b;\nworld w { include i; }\ninterface i {}", kind: .unknownName, line: 2, column: 19, mentions: "is an interface, not a world")
        expect("package a:b;\nworld v { import f: func(); }\nworld w { include v with { g as h }; }", kind: .unknownName, line: 3, column: 28, mentions: "no import or export named `g`")
    }

    @Test func duplicateNames() {
        expect("package a:b;\ninterface i { f: func(); f: func(); }", kind: .duplicateName, line: 2, column: 26, mentions: "function `f` is defined more than once")
        expect("package a:b;\ninterface i {}\nworld i {}", kind: .duplicateName, line: 3, column: 7, mentions: "`i` is defined more than once")
        expect("package a:b;\ninterface i { type t = u8; record t { x: u8 } }", kind: .duplicateName, line: 2, column: 35, mentions: "type `t` is defined more than once")
        expect("package a:b;\ninterface i { record r { a: u8, a: u8 } }", kind: .duplicateName, line: 2, column: 33, mentions: "field `a`")
        expect("package a:b;\ninterface i { variant v { a, a } }", kind: .duplicateName, line: 2, column: 30, mentions: "case `a`")
        expect("package a:b;\ninterface i { f: func(a: u8, a: u8); }", kind: .duplicateName, line: 2, column: 30, mentions: "parameter `a`")
        expect("package a:b;\nworld w { import f: func(); import f: func(); }", kind: .duplicateName, line: 2, column: 36, mentions: "`f` is imported more than once")
    }

    @Test func cycles() {
        expect("package a:b;\ninterface i { type a = b; type b = a; }", kind: .cycle, line: 2, column: 36, mentions: "type `a` depends on itself")
        expect("package a:b;\ninterface i { record r { x: list<r> } }", kind: .cycle, line: 2, column: 34, mentions: "type `r` depends on itself")
        expect("package a:b;\ninterface i { use j.{t}; }\ninterface j { use i.{u}; type t = u8; }", kind: .cycle, line: 3, column: 19, mentions: "interface `a:b/i` depends on itself")
        expect("package a:b;\nworld w { include v; }\nworld v { include w; }", kind: .cycle, line: 3, column: 19, mentions: "world `a:b/w` includes itself")
    }

    @Test func handleToNonResource() {
        expect("package a:b;\ninterface i { type x = u32; f: func(a: borrow<x>); }", kind: .notAResource, line: 2, column: 47, mentions: "`x` is not a resource")
        expect("package a:b;\ninterface i { record x { a: u8 } f: func() -> own<x>; }", kind: .notAResource, line: 2, column: 51, mentions: "`x` is not a resource")
    }

    @Test func missingDependencyPackage() {
        expect("package a:b;\ninterface i {\n  use wasi:io/streams@0.2.0.{input-stream};\n}", kind: .missingPackage, line: 3, column: 7, mentions: "package `wasi:io@0.2.0` not found")
        expect("package a:b;\nworld w { import d:dep/i@2.0.0; }", deps: ["package d:dep@1.0.0; interface i {}"],
               kind: .missingPackage, line: 2, column: 18, mentions: "loaded versions: `d:dep@1.0.0`")
    }

    @Test func errorsInDependenciesNameTheirFile() {
        guard let error = loadError("package a:b; interface i { use d:dep/x.{t}; }",
                                    deps: ["package d:dep;\ninterface x { type t = nope; }"]) else { return }
        #expect(error.location?.file == "dep0.wit")
        #expect(error.location?.line == 2)
        #expect(error.kind == .unknownName)
    }
}
