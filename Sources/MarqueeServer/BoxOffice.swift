import Foundation
import Logging
import MarqueeCore
import MarqueeStore

/// Time and identifiers, injected so tests can control them.
public struct AppEnvironment: Sendable {
    public var clock: any TimeSource
    public var ids: any IdentifierSource

    public init(clock: any TimeSource = SystemTimeSource(), ids: any IdentifierSource = RandomIdentifierSource()) {
        self.clock = clock
        self.ids = ids
    }
}

/// The long-lived parts of a running Marquee, opened and wired once.
public struct BoxOffice: Sendable {
    public let configuration: ServerConfiguration
    public let environment: AppEnvironment
    public let database: MarqueeDatabase
    public let catalog: CatalogService
    public let accounts: any AccountStore
    public let inventory: SeatInventory
    public let idempotencyKeys: any IdempotencyStore
    public let bookings: any BookingStore
    public let sandboxPayments: SandboxPaymentGateway
    public let ticketSigner: TicketSigner
    public let outbox: any OutboxStore
    public let paymentAttempts: any PaymentAttemptStore
    public let webhookSecret: String
    /// Shared with the payment provider to sign the webhooks it sends us.
    public let paymentWebhookSecret: String
    public let tokens: TokenIssuer
    public let logger: Logger

    /// Opens and migrates the database, loads demo data into an empty one when
    /// configured to, and loads the catalog.
    public static func open(_ configuration: ServerConfiguration, environment: AppEnvironment = AppEnvironment())
        async throws -> BoxOffice
    {
        var logger = Logger(label: "marquee")
        logger.logLevel = configuration.logLevel
        let database = try MarqueeDatabase(path: configuration.databasePath)
        let accounts = SQLiteAccountStore(database: database)
        if configuration.demoData, try await database.isEmpty() {
            try await DemoData.load(
                into: database, accounts: accounts, clock: environment.clock, ids: environment.ids,
                bcryptCost: configuration.bcryptCost)
            logger.info("loaded demo data", metadata: ["database": "\(configuration.databasePath)"])
        } else if configuration.demoData {
            let added = try await DemoData.extend(database, clock: environment.clock)
            if added > 0 { logger.info("added demo shows for the coming week", metadata: ["shows": "\(added)"]) }
        }
        let catalog = try await CatalogService(store: SQLiteCatalogStore(database: database), clock: environment.clock)
        let inventory = SeatInventory(
            ledger: SQLiteSeatLedger(database: database), clock: environment.clock, ids: environment.ids,
            policy: HoldPolicy(ttl: configuration.holdTTL), logger: logger)
        let secret =
            try configuration.tokenSecret ?? Self.secret(named: "token-secret", in: configuration.dataDirectory)
        let tokens = await TokenIssuer(secret: secret, clock: environment.clock, lifetime: configuration.tokenLifetime)
        return BoxOffice(
            configuration: configuration, environment: environment, database: database, catalog: catalog,
            accounts: accounts, inventory: inventory, idempotencyKeys: SQLiteIdempotencyStore(database: database),
            bookings: SQLiteBookingStore(database: database),
            sandboxPayments: try SandboxPaymentGateway(
                path: (configuration.dataDirectory as NSString).appendingPathComponent("sandbox-psp.sqlite"),
                clock: environment.clock, ids: environment.ids),
            ticketSigner: try TicketSigner.stored(in: configuration.dataDirectory),
            outbox: SQLiteOutboxStore(database: database),
            paymentAttempts: SQLitePaymentAttemptStore(database: database),
            webhookSecret: try configuration.webhookSecret
                ?? Self.secret(named: "webhook-secret", in: configuration.dataDirectory),
            paymentWebhookSecret: try Self.secret(named: "psp-webhook-secret", in: configuration.dataDirectory),
            tokens: tokens, logger: logger)
    }

    /// A secret kept beside the database, made on first start.
    static func secret(named name: String, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        if let existing = try? String(contentsOfFile: path, encoding: .utf8), existing.utf8.count >= 32 {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = Data(bytes).base64EncodedString()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        return secret
    }
}
