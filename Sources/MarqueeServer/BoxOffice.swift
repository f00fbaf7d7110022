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
    public let stores: Stores
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
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let stores = try await Stores.open(configuration.databaseLocation, logger: logger)
        logger.info("database open", metadata: ["database": "\(stores.displayName)"])
        do {
            return try await open(configuration, stores: stores, environment: environment, logger: logger)
        } catch {
            await stores.close()
            throw error
        }
    }

    private static func open(
        _ configuration: ServerConfiguration, stores: Stores, environment: AppEnvironment, logger: Logger
    ) async throws -> BoxOffice {
        if configuration.demoData, try await stores.isEmpty() {
            try await DemoData.load(
                into: stores.catalog, accounts: stores.accounts, clock: environment.clock, ids: environment.ids,
                bcryptCost: configuration.bcryptCost)
            logger.info("loaded demo data", metadata: ["database": "\(stores.displayName)"])
        } else if configuration.demoData {
            let added = try await DemoData.extend(stores.catalog, clock: environment.clock)
            if added > 0 { logger.info("added demo shows for the coming week", metadata: ["shows": "\(added)"]) }
        }
        let catalog = try await CatalogService(store: stores.catalog, clock: environment.clock)
        let inventory = SeatInventory(
            ledger: stores.ledger, clock: environment.clock, ids: environment.ids,
            policy: HoldPolicy(ttl: configuration.holdTTL), logger: logger)
        let directory = configuration.dataDirectory
        func secret(_ name: String) async throws -> String {
            try await stores.secret(named: name, directory: directory, make: Self.randomSecret)
        }
        let tokenSecret: String
        if let configured = configuration.tokenSecret {
            tokenSecret = configured
        } else {
            tokenSecret = try await secret("token-secret")
        }
        let webhookSecret: String
        if let configured = configuration.webhookSecret {
            webhookSecret = configured
        } else {
            webhookSecret = try await secret("webhook-secret")
        }
        let accounts = stores.accounts
        let tokens = await TokenIssuer(
            secret: tokenSecret, clock: environment.clock, lifetime: configuration.tokenLifetime,
            accountExists: { try await accounts.user($0) != nil })
        let signingKey = try await stores.secret(named: "ticket-signing-key", directory: directory) {
            TicketSigner.newKey()
        }
        return BoxOffice(
            configuration: configuration, environment: environment, stores: stores, catalog: catalog,
            accounts: stores.accounts, inventory: inventory, idempotencyKeys: stores.idempotencyKeys,
            bookings: stores.bookings,
            sandboxPayments: try SandboxPaymentGateway(
                path: (directory as NSString).appendingPathComponent("sandbox-psp.sqlite"),
                clock: environment.clock, ids: environment.ids),
            ticketSigner: try TicketSigner(storedKey: signingKey),
            outbox: stores.outbox, paymentAttempts: stores.paymentAttempts,
            webhookSecret: webhookSecret, paymentWebhookSecret: try await secret("psp-webhook-secret"),
            tokens: tokens, logger: logger)
    }

    /// 48 random bytes, base64: a new signing secret.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }
}
