import ArgumentParser
import Foundation
import MarqueeServer

/// The door scanner's check, offline: is this code a genuine Marquee ticket?
struct VerifyTicket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-ticket",
        abstract: "Check a ticket code against the public key, without the server. Exits 1 if it is not genuine.")

    @Argument(help: "The ticket code, as printed in the QR code.") var code: String
    @Option(help: "The public key from GET /api/v1/tickets/public-key (default: read from --data-dir).")
    var publicKey: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let key: String
        if let publicKey {
            key = publicKey
        } else {
            key = try TicketSigner.stored(in: try store.configuration().dataDirectory).publicKey
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
