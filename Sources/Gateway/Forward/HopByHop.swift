import Foundation

/// Headers that belong to one connection, not to the message (RFC 9110
/// 7.6.1): never passed on, either way.
enum HopByHop {
    static let always: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"]

    /// `pairs` (names in lower case) without the hop-by-hop headers and
    /// those `Connection` names.
    static func strip<V>(_ pairs: [(String, V)], connectionValues: [String]) -> [(String, V)] {
        var named = always
        for value in connectionValues {
            for token in value.split(separator: ",") {
                named.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return pairs.filter { !named.contains($0.0) }
    }
}
