/// A shell-like pattern over `instance/function` names: `*` stands for any
/// run of characters, `/` included, and `?` for exactly one.
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    private let pattern: [UInt8]

    public init(_ text: String) {
        description = text
        pattern = Array(text.utf8)
    }

    public func matches(_ name: String) -> Bool {
        let text = Array(name.utf8)
        // Iterative matching with one backtrack point: linear in practice,
        // never exponential, whatever the pattern.
        var p = 0, t = 0
        var star = -1, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
