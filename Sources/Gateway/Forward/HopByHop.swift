import Foundation

/// Headers that belong to one connection, not to the message (RFC 9110
/// 7.6.1): never passed on, either way.
enum HopByHop {
    static let always: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"]

    /// `pairs` (names in lower case) without the hop-by-hop headers and
    /// those their `Connection` headers name.
    static func strip(_ pairs: [(String, [UInt8])]) -> [(String, [UInt8])] {
        var named = always
        for (name, bytes) in pairs where name == "connection" {
            let value = String(decoding: bytes, as: UTF8.self)
            for token in value.split(separator: ",") {
                named.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return pairs.filter { !named.contains($0.0) }
    }
}
