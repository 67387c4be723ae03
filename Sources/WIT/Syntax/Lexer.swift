/// Turns a WIT file into tokens. Comments vanish; doc comments are attached
/// to the token that follows them.
struct Lexer {
    private let source: SourceText
    private var pos = 0
    private var bytes: [UInt8] { source.bytes }

    init(_ source: SourceText) {
        self.source = source
        if source.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
    }

    static func tokenize(_ source: SourceText) throws(WITError) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .eof { return tokens }
        }
    }

    private func error(_ message: String, at offset: Int) -> WITError {
        WITError(.syntax, message, at: source.location(offset))
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        let i = pos + ahead
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func next() throws(WITError) -> Token {
        var docs: [String] = []
        try skipTrivia(docs: &docs)
        let start = pos
        guard let c = peek() else { return Token(kind: .eof, offset: start, docs: docs) }

        func tok(_ kind: TokenKind) -> Token { Token(kind: kind, offset: start, docs: docs) }

        switch c {
        case UInt8(ascii: "{"): pos += 1; return tok(.punct(.lbrace))
        case UInt8(ascii: "}"): pos += 1; return tok(.punct(.rbrace))
        case UInt8(ascii: "("): pos += 1; return tok(.punct(.lparen))
        case UInt8(ascii: ")"): pos += 1; return tok(.punct(.rparen))
        case UInt8(ascii: "<"): pos += 1; return tok(.punct(.langle))
        case UInt8(ascii: ">"): pos += 1; return tok(.punct(.rangle))
        case UInt8(ascii: ","): pos += 1; return tok(.punct(.comma))
        case UInt8(ascii: ";"): pos += 1; return tok(.punct(.semicolon))
        case UInt8(ascii: ":"): pos += 1; return tok(.punct(.colon))
        case UInt8(ascii: "="): pos += 1; return tok(.punct(.equals))
        case UInt8(ascii: "."): pos += 1; return tok(.punct(.dot))
        case UInt8(ascii: "/"): pos += 1; return tok(.punct(.slash))
        case UInt8(ascii: "@"): pos += 1; return tok(.punct(.at))
        case UInt8(ascii: "*"): pos += 1; return tok(.punct(.star))
        case UInt8(ascii: "-"):
            if peek(1) == UInt8(ascii: ">") { pos += 2; return tok(.punct(.arrow)) }
            throw error("unexpected `-`", at: start)
        case UInt8(ascii: "_"):
            if let n = peek(1), Self.isIdentifierByte(n) {
                throw error("identifiers must start with a letter, not `_`", at: start)
            }
            pos += 1
            return tok(.punct(.underscore))
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Versions and integers share a start; a `.`, `-` or `+` makes a version.
            while let n = peek(), Self.isIdentifierByte(n) || n == UInt8(ascii: ".") || n == UInt8(ascii: "+") { pos += 1 }
            // `@0.2.0.{a}`: the dot before `{` belongs to the `use`, not the version.
            while bytes[pos - 1] == UInt8(ascii: ".") { pos -= 1 }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                return tok(.integer(text))
            }
            return tok(.version(text))
        case UInt8(ascii: "%"):
            pos += 1
            guard let n = peek(), Self.isLetter(n) else {
                throw error("expected an identifier after `%`", at: start)
            }
            let name = try identifier()
            return tok(.identifier(name, explicit: true))
        default:
            if Self.isLetter(c) {
                let name = try identifier()
                if let keyword = Keyword(rawValue: name) { return tok(.keyword(keyword)) }
                return tok(.identifier(name, explicit: false))
            }
            if c >= 0x80 {
                throw error("unexpected character; WIT identifiers are ASCII", at: start)
            }
            throw error("unexpected character `\(Character(UnicodeScalar(c)))`", at: start)
        }
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    private static func isIdentifierByte(_ c: UInt8) -> Bool {
        isLetter(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
    }

    /// Reads a kebab-case name and checks each word is all lower or all upper case.
    private mutating func identifier() throws(WITError) -> String {
        let start = pos
        while let c = peek(), Self.isIdentifierByte(c) { pos += 1 }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        for word in text.split(separator: "-", omittingEmptySubsequences: false) {
            guard let first = word.utf8.first, Self.isLetter(first) else {
                throw error("`\(text)` is not a valid identifier: each `-`-separated word must start with a letter", at: start)
            }
            let hasLower = word.utf8.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
            let hasUpper = word.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
            if hasLower && hasUpper {
                throw error("`\(text)` is not a valid identifier: word `\(word)` mixes upper and lower case", at: start)
            }
        }
        return text
    }

    private mutating func skipTrivia(docs: inout [String]) throws(WITError) {
        while let c = peek() {
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                pos += 1
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                let start = pos
                while let n = peek(), n != UInt8(ascii: "\n") { pos += 1 }
                let isDoc = pos - start >= 3 && bytes[start + 2] == UInt8(ascii: "/")
                    && !(pos - start >= 4 && bytes[start + 3] == UInt8(ascii: "/"))
                if isDoc { docs.append(Self.docLine(bytes[(start + 3)..<pos])) }
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                let start = pos
                pos += 2
                var depth = 1
                while depth > 0 {
                    guard let n = peek() else { throw error("unterminated block comment", at: start) }
                    if n == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                        depth += 1; pos += 2
                    } else if n == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                        depth -= 1; pos += 2
                    } else {
                        pos += 1
                    }
                }
                let body = bytes[(start + 2)..<(pos - 2)]
                if body.first == UInt8(ascii: "*") && body.count > 1 {
                    for line in String(decoding: body.dropFirst(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                        var l = Substring(line)
                        while l.first == " " || l.first == "\t" { l = l.dropFirst() }
                        if l.first == "*" { l = l.dropFirst() }
                        docs.append(Self.docLine(ArraySlice(l.utf8)))
                    }
                }
            default:
                return
            }
        }
    }

    private static func docLine(_ raw: ArraySlice<UInt8>) -> String {
        var s = String(decoding: raw, as: UTF8.self)
        if s.hasPrefix(" ") { s.removeFirst() }
        while s.hasSuffix("\r") || s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
