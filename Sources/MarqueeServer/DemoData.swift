import Foundation
import MarqueeCore
import MarqueeStore

/// Demo catalog plus accounts a newcomer can sign in with.
public enum DemoData {
    public static let customerEmail = "demo@marquee.test"
    public static let customerPassword = "demo-password"

    public static func load(
        into database: MarqueeDatabase, accounts: any AccountStore, clock: any TimeSource, ids: any IdentifierSource,
        bcryptCost: UInt8
    ) async throws {
        try await SQLiteCatalogStore(database: database).save(DemoSeed(firstDay: clock.now).content())
        if try await accounts.credentials(email: customerEmail) == nil {
            let user = User(id: User.ID("usr_demo"), email: customerEmail, name: "Demo Customer", createdAt: clock.now)
            try await accounts.createUser(
                user, passwordHash: try await AuthRoutes.hash(customerPassword, cost: bcryptCost))
        }
    }
}
