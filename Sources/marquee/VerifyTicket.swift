import ArgumentParser
import Foundation
import Logging
import MarqueeServer
import MarqueeStore

/// The door scanner's check, offline: is this code a genuine Marquee ticket?
struct VerifyTicket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-ticket",
        abstract: "Check a ticket code against the public key, without the server. Exits 1 if it is not genuine.")

    @Argument(help: "The ticket code, as printed in the QR code.") var code: String
    @Option(
        help:
            "The public key from GET /api/v1/tickets/public-key (default: the key kept in --data-dir or --database-url)."
    )
    var publicKey: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let key: String
        if let publicKey {
            key = publicKey
        } else {
            // Only read: a wrong --data-dir must not get a new key (which would call every genuine code forged).
            let configuration = try store.configuration()
            let stored: String?
            if let url = configuration.databaseURL {
                stored = try await PostgresBackend.existingSecret(
                    url: url, named: "ticket-signing-key", logger: Logger(label: "marquee.verify-ticket"))
            } else {
                stored = Stores.secretFile(named: "ticket-signing-key", directory: configuration.dataDirectory)
            }
            guard let stored else {
                throw ValidationError(
                    "no ticket signing key in "
                        + (configuration.databaseURL == nil ? configuration.dataDirectory : "that database")
                        + ": give the --data-dir (or --database-url) the server uses, or --public-key")
            }
            key = try TicketSigner(storedKey: stored).publicKey
        }
        guard let verifier = TicketVerifier(publicKey: key) else {
            throw ValidationError("--public-key is not an Ed25519 public key in base64url")
        }
        guard let claims = verifier.verify(code) else {
            print("INVALID: the code is not signed by this key")
            throw ExitCode.failure
        }
        print("VALID ticket \(claims.ticketId) booking \(claims.bookingId) show \(claims.showId) seat \(claims.seatId)")
    }
}
