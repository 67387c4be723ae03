import Foundation
import Testing
import TestSupport
@testable import WIT

/// Loads WIT given as text; `deps` are the texts of dependency files, one package group each.
func load(_ text: String, deps: [String] = [], options: LoadOptions = LoadOptions()) throws -> Resolve {
    try Resolve.load(main: [SourceText(path: "main.wit", text: text)],
                     dependencies: deps.enumerated().map { [SourceText(path: "dep\($0.offset).wit", text: $0.element)] },
                     options: options)
}

func signatures(_ text: String, deps: [String] = [], options: LoadOptions = LoadOptions()) throws -> [String] {
    Signatures.lines(try load(text, deps: deps, options: options))
}

/// The error loading `text` throws; fails the test if it loads.
func loadError(_ text: String, deps: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> WITError? {
    do {
        _ = try load(text, deps: deps)
        Issue.record("expected an error, but the WIT loaded", sourceLocation: sourceLocation)
        return nil
    } catch let error as WITError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
