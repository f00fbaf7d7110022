import Crypto
import Foundation
import MarqueeCore

/// Signs ticket codes with Ed25519 so a door scanner holding only the public key
/// can check them offline. A code is `<claims>.<signature>`, both base64url.
public struct TicketSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    public init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// A signer from a stored key (base64 of the raw private key), as kept in the data directory or database.
    public init(storedKey text: String) throws {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CocoaError(.coderReadCorrupt)
        }
        self.init(key: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    /// A new private key in the stored form.
    public static func newKey() -> String { Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString() }

    /// The public key, base64url, as published for scanners.
    public var publicKey: String { Base64URL.encode(key.publicKey.rawRepresentation) }

    public func code(for claims: TicketClaims) throws -> String {
        let message = Data(claims.message.utf8)
        return Base64URL.encode(message) + "." + Base64URL.encode(try key.signature(for: message))
    }
}

/// Checks ticket codes against a published public key, with no server involved.
public struct TicketVerifier: Sendable {
    private let key: Curve25519.Signing.PublicKey

    public init?(publicKey: String) {
        guard let raw = Base64URL.decode(publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return nil }
        self.key = key
    }

    /// The claims of a genuine code; nil for a forged, altered or malformed one.
    public func verify(_ code: String) -> TicketClaims? {
        let parts = code.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let message = Base64URL.decode(String(parts[0])),
            let signature = Base64URL.decode(String(parts[1])), key.isValidSignature(signature, for: message)
        else { return nil }
        return TicketClaims(message: String(decoding: message, as: UTF8.self))
    }
}
