import Crypto

/// The API keys of `--api-keys-file`: one per line, `name:key` or a bare
/// `key`; blank lines and `#` comments are skipped. Only SHA-256 digests
/// are kept, and a presented key is compared with every one of them in
/// constant time, so neither memory nor timing gives a key away.
public struct APIKeys: Sendable {
    struct Entry: Sendable {
        let name: String
        let digest: [UInt8]
    }

    let entries: [Entry]

    public var count: Int { entries.count }

    public init(parsing text: String) throws(EdgeConfigError) {
        var entries: [Entry] = []
        var seen: Set<[UInt8]> = []
        var names: Set<String> = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") { continue }
            var name: String?
            var key = line
            if let colon = line.firstIndex(of: ":") {
                name = String(line[..<colon]).trimmingWhitespace
                key = String(line[line.index(after: colon)...]).trimmingWhitespace
            }
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw EdgeConfigError("API keys file, line \(number + 1): expected `name:key` or `key`, without spaces in the key")
            }
            let digest = Self.digest(key)
            guard seen.insert(digest).inserted else {
                throw EdgeConfigError("API keys file, line \(number + 1): the same key appears twice")
            }
            // A bare key is named by the start of its digest: enough to tell
            // keys apart in logs, nothing to recover the key from.
            let finalName = name ?? "sha256-" + digest.prefix(4).map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }.joined()
            guard !finalName.isEmpty, finalName.allSatisfy({ $0.isLetter || $0.isNumber || "._@-".contains($0) }) else {
                throw EdgeConfigError("API keys file, line \(number + 1): a key's name may hold letters, digits and . _ @ - only")
            }
            guard names.insert(finalName).inserted else {
                throw EdgeConfigError("API keys file, line \(number + 1): the name `\(finalName)` is used twice")
            }
            entries.append(Entry(name: finalName, digest: digest))
        }
        guard !entries.isEmpty else { throw EdgeConfigError("the API keys file holds no key") }
        self.entries = entries
    }

    /// The name of the key `presented` is, or nil. Every stored digest is
    /// compared, byte by byte, whether or not an earlier one matched.
    public func name(of presented: Substring) -> String? {
        let digest = Self.digest(presented)
        var match = -1
        for (i, entry) in entries.enumerated() {
            var difference: UInt8 = 0
            for j in 0..<digest.count { difference |= entry.digest[j] ^ digest[j] }
            match = difference == 0 ? i : match
        }
        return match >= 0 ? entries[match].name : nil
    }

    static func digest(_ key: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }
}

extension StringProtocol {
    /// Without leading and trailing white space. It runs on every
    /// authenticated request over a whole bearer token, so it walks Unicode
    /// scalars from both ends instead of reversing a collection of
    /// Characters (that cost a quarter of the JWT path's CPU time).
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(self[start..<end])
    }
}
