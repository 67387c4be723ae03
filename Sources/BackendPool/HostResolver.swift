/// Turns a hostname into the addresses a pool dials. Injectable, so tests
/// can change a name's answers; `SystemResolver` asks the system.
public protocol HostResolver: Sendable {
    /// Every address of `host` as numeric text (`10.0.0.5`, `fd00::5`),
    /// without duplicates; throws when the name does not resolve.
    func addresses(of host: String, port: Int) async throws -> [String]
}
