import Foundation

extension Resolve {
    /// Loads a single `.wit` file, or a package directory: its `*.wit` files
    /// are the main package and every entry of `deps/` (a directory or a
    /// single `.wit` file) is a dependency, loaded whether used or not.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws(WITError) -> Resolve {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WITError(.io, "no such file or directory: \(path)", at: nil)
        }
        if !isDirectory.boolValue {
            return try load(main: [try read(path)], dependencies: [], options: options)
        }
        let main = try witFiles(in: path).map { (p) throws(WITError) in try read(p) }
        if main.isEmpty {
            throw WITError(.io, "no .wit files in \(path)", at: nil)
        }
        var dependencies: [[SourceText]] = []
        let deps = (path as NSString).appendingPathComponent("deps")
        if FileManager.default.fileExists(atPath: deps, isDirectory: &isDirectory), isDirectory.boolValue {
            for entry in try listing(deps) {
                let full = (deps as NSString).appendingPathComponent(entry)
                var entryIsDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: full, isDirectory: &entryIsDirectory)
                if entryIsDirectory.boolValue {
                    let files = try witFiles(in: full).map { (p) throws(WITError) in try read(p) }
                    if !files.isEmpty { dependencies.append(files) }
                } else if entry.hasSuffix(".wit") {
                    dependencies.append([try read(full)])
                }
            }
        }
        return try load(main: main, dependencies: dependencies, options: options)
    }

    /// Loads WIT held in memory: `main` are the files of the main package,
    /// each element of `dependencies` the files of one dependency.
    public static func load(main: [SourceText], dependencies: [[SourceText]],
                            options: LoadOptions = LoadOptions()) throws(WITError) -> Resolve {
        var resolver = Resolver(options: options)
        for group in dependencies {
            _ = try resolver.add(group: try group.map { (s) throws(WITError) in try Parser.parse(s) })
        }
        let parsedMain = try main.map { (s) throws(WITError) in try Parser.parse(s) }
        guard let mainName = try resolver.add(group: parsedMain) else {
            throw WITError(.syntax, "no package found: expected `package namespace:name;`",
                           at: main.first.map { $0.location(0) })
        }
        return try resolver.resolveAll(main: mainName)
    }

    private static func read(_ path: String) throws(WITError) -> SourceText {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WITError(.io, "cannot read \(path)", at: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WITError(.io, "\(path) is not valid UTF-8", at: nil)
        }
        return SourceText(path: path, text: text)
    }

    private static func listing(_ dir: String) throws(WITError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        } catch {
            throw WITError(.io, "cannot list \(dir): \(error.localizedDescription)", at: nil)
        }
    }

    private static func witFiles(in dir: String) throws(WITError) -> [String] {
        try listing(dir).filter { $0.hasSuffix(".wit") }.map { (dir as NSString).appendingPathComponent($0) }
    }
}
