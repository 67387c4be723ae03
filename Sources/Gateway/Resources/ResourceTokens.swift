import ComponentValues
import Crypto
import Foundation

/// Resource handles as clients see them: a token naming the backend member
/// that made the handle (by address, so every replica reads it alike) and
/// the handle's bytes, signed with HMAC-SHA256 over both and the resource's
/// type, so a client can neither forge one, point one at another member,
/// nor pass one resource's handle as another's.
///
/// Layout, URL-safe base64 without padding: version (1), the address's
/// length (2 bytes, big-endian), the address, the handle, then the 32-byte
/// MAC over a domain label, the resource type and all the bytes before it.
struct ResourceTokens: HandleSealing {
    let key: ResourceKey
    /// The member whose answer is being decoded: the origin `seal` names.
    var member = ""

    static let version: UInt8 = 1
    static let macLength = 32
    /// Longer tokens are refused before they are decoded.
    static let maxTokenLength = 8192
    private static let label = Array("wrpc-gateway resource handle\u{0}".utf8)

    /// The same key, sealing handles as made by `member`.
    func issuing(for member: String) -> ResourceTokens {
        ResourceTokens(key: key, member: member)
    }

    func seal(_ handle: UnsafeBufferPointer<UInt8>, resource: String) -> String {
        let address = Array(member.utf8.prefix(Int(UInt16.max)))
        var body: [UInt8] = [Self.version, UInt8(address.count >> 8), UInt8(address.count & 0xFF)]
        body += address
        body += handle
        body += mac(body, resource: resource)
        return Self.base64URL(body)
    }

    func open(_ token: String, resource: String) throws(HandleRefusal) -> OpenedHandle {
        let refusal = HandleRefusal("not a \(resource) handle this gateway issued: a handle is the token a result gave, as it was (this one is forged, altered, truncated, signed with another key, or of another resource type)")
        guard token.utf8.count <= Self.maxTokenLength, let bytes = Self.bytes(base64URL: token),
              bytes.count >= 3 + Self.macLength, bytes[0] == Self.version else { throw refusal }
        let addressLength = Int(bytes[1]) << 8 | Int(bytes[2])
        let body = bytes[..<(bytes.count - Self.macLength)]
        guard body.count >= 3 + addressLength,
              HMAC<SHA256>.isValidAuthenticationCode(bytes[body.endIndex...], authenticating: Self.label + Array(resource.utf8) + [0] + body,
                                                     using: key.key) else { throw refusal }
        let address = String(decoding: body[3..<(3 + addressLength)], as: UTF8.self)
        return OpenedHandle(bytes: Array(body[(3 + addressLength)...]), origin: address)
    }

    private func mac(_ body: [UInt8], resource: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Self.label + Array(resource.utf8) + [0] + body, using: key.key))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func bytes(base64URL text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
                                     || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
