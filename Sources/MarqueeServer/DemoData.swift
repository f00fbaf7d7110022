import Foundation
import MarqueeCore
import MarqueeStore

/// Demo catalog plus accounts a newcomer can sign in with.
public enum DemoData {
    public static let customerEmail = "demo@marquee.test"
    public static let customerPassword = "demo-password"
    /// Door staff who may check tickets in.
    public static let staffEmail = "staff@marquee.test"
    public static let staffPassword = "staff-password"

    public static func load(
        into catalog: any CatalogStore, accounts: any AccountStore, clock: any TimeSource, ids: any IdentifierSource,
        bcryptCost: UInt8
    ) async throws {
        try await catalog.save(DemoSeed(firstDay: clock.now).content())
        try await createDemoCustomer(accounts: accounts, clock: clock, bcryptCost: bcryptCost)
    }

    /// Keeps a demo box office a week ahead: adds the demo shows of the coming
    /// days that are missing, leaving every existing show (and its seats) alone.
    /// Returns how many shows were added.
    @discardableResult
    public static func extend(_ store: any CatalogStore, clock: any TimeSource) async throws -> Int {
        let now = clock.now
        let existing = try await store.loadCatalog(showsEndingAfter: now)
        guard DemoSeed.isDemo(existing) else { return 0 }
        let known = Set(existing.shows.map(\.id))
        let missing = DemoSeed(firstDay: now).content().shows.filter { $0.startsAt > now && !known.contains($0.id) }
        if !missing.isEmpty { try await store.save(CatalogContent(shows: missing)) }
        return missing.count
    }

    private static func createDemoCustomer(accounts: any AccountStore, clock: any TimeSource, bcryptCost: UInt8)
        async throws
    {
        if try await accounts.credentials(email: staffEmail) == nil {
            let staff = User(
                id: User.ID("usr_staff"), email: staffEmail, name: "Door Staff", role: "staff", createdAt: clock.now)
            // Another instance starting at the same moment may have made it first.
            try? await accounts.createUser(
                staff, passwordHash: try await AuthRoutes.hash(staffPassword, cost: bcryptCost))
        }
        if try await accounts.credentials(email: customerEmail) == nil {
            let user = User(id: User.ID("usr_demo"), email: customerEmail, name: "Demo Customer", createdAt: clock.now)
            try? await accounts.createUser(
                user, passwordHash: try await AuthRoutes.hash(customerPassword, cost: bcryptCost))
        }
    }
}
