/// One WIT file's text, kept as bytes so offsets are cheap; line and column
/// are computed only when an error needs them.
public struct SourceText: Sendable {
    public let path: String
    let bytes: [UInt8]

    public init(path: String, text: String) {
        self.path = path
        self.bytes = Array(text.utf8)
    }

    /// 1-based line and column (in Unicode scalars) of a byte offset.
    func lineColumn(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        var i = 0
        while i < end {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        var column = 1
        var j = lineStart
        while j < end {
            // Count only the first byte of each UTF-8 sequence.
            if bytes[j] & 0xC0 != 0x80 { column += 1 }
            j += 1
        }
        return (line, column)
    }

    func location(_ offset: Int) -> SourceLocation {
        let (line, column) = lineColumn(of: offset)
        return SourceLocation(file: path, line: line, column: column)
    }
}

public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// Every failure to load WIT: where it happened and what was expected.
public struct WITError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case syntax, unknownName = "unknown-name", duplicateName = "duplicate-name"
        case cycle, notAResource = "not-a-resource", missingPackage = "missing-package"
        case io, invalid
    }

    public let kind: Kind
    public let location: SourceLocation?
    public let message: String

    public init(_ kind: Kind, _ message: String, at location: SourceLocation?) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}
