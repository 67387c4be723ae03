import Crypto

/// The key that signs resource handle tokens. Replicas that share it accept
/// each other's tokens; a token signed with any other key is refused.
public struct ResourceKey: Sendable {
    let key: SymmetricKey

    /// The shortest secret accepted: HMAC-SHA256 wants at least 32 bytes of key.
    public static let minimumLength = 32

    /// A key from a secret's text (a key file's contents; surrounding
    /// whitespace, such as a final newline, is not part of it).
    public init(secret text: String) throws {
        let secret = Array(text.utf8.drop { Self.isSpace($0) }.reversed().drop { Self.isSpace($0) }.reversed())
        guard secret.count >= Self.minimumLength else {
            throw GatewaySetupError("the resource key has \(secret.count) bytes; it needs at least \(Self.minimumLength) (e.g. `openssl rand -hex 32`)")
        }
        key = SymmetricKey(data: secret)
    }

    private init(key: SymmetricKey) { self.key = key }

    /// A key of this process alone: tokens it signs are refused by every
    /// other process, this one after a restart included.
    public static func random() -> ResourceKey { ResourceKey(key: SymmetricKey(size: .bits256)) }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
}
