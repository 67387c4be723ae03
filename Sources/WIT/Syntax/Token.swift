/// Reserved words of WIT. An identifier spelled like one of these must be
/// written with a `%` prefix to be used as a name.
enum Keyword: String, Sendable, CaseIterable {
    case use, type, `func`, u8, u16, u32, u64, s8, s16, s32, s64, f32, f64
    case char, record, resource, own, borrow, flags, variant, `enum`, bool, string
    case option, result, future, stream, errorContext = "error-context", list
    case `as`, `static`, interface, tuple, `import`, export, package
    case constructor, async, include, with, world
}

enum Punct: String, Sendable {
    case lbrace = "{", rbrace = "}", lparen = "(", rparen = ")"
    case langle = "<", rangle = ">", comma = ",", semicolon = ";", colon = ":"
    case equals = "=", dot = ".", slash = "/", at = "@", star = "*", arrow = "->"
    case underscore = "_"
}

enum TokenKind: Equatable, Sendable {
    /// A plain identifier; `explicit` is true when it was written `%name`.
    case identifier(String, explicit: Bool)
    case keyword(Keyword)
    case integer(String)
    /// A semantic version, e.g. the `0.2.0-rc.1` after `@`.
    case version(String)
    case punct(Punct)
    case eof

    var display: String {
        switch self {
        case .identifier(let name, let explicit): return "identifier `\(explicit ? "%" : "")\(name)`"
        case .keyword(let k): return "keyword `\(k.rawValue)`"
        case .integer(let s): return "integer `\(s)`"
        case .version(let s): return "version `\(s)`"
        case .punct(let p): return "`\(p.rawValue)`"
        case .eof: return "end of file"
        }
    }
}

struct Token: Sendable {
    var kind: TokenKind
    /// Byte offset of the token's first character in its file.
    var offset: Int
    /// Doc comments (`///`, `/** */`) immediately before this token.
    var docs: [String]
}
