import Foundation
import JWTKit
import MarqueeCore
import Synchronization

/// Signs and checks the bearer tokens of signed-in users (HS256 JWTs with an expiry).
public final class TokenIssuer: Sendable {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim

        // Expiry is checked against the injected clock in `user(for:)`.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private let keys: JWTKeyCollection
    private let clock: any TimeSource
    private let lifetime: TimeInterval
    /// Tokens already verified, so the hot path skips the HMAC and the key actor.
    private let verified = Mutex<[String: (User.ID, Date)]>([:])
    /// Tokens that failed verification: a client repeating one (a stale tab, a
    /// script) is refused without verifying it again.
    private let rejected = Mutex<Set<String>>([])
    /// The rejected set holds at most 10,000 tokens of at most this many bytes.
    static let longestToken = 1024
    /// How many tokens went through full verification (tests count it).
    let verifications = Atomic<Int>(0)

    /// Whether an account exists; asked once per token and instance, the first
    /// time a token this instance did not sign is used.
    private let accountExists: @Sendable (User.ID) async throws -> Bool
    /// Accounts seen to exist (accounts are never deleted): each is asked about once.
    private let knownAccounts = Mutex<Set<User.ID>>([])

    /// - Parameter secret: at least 32 bytes.
    /// - Parameter accountExists: a token whose account is not there (its database was
    ///   made anew while the secret was kept, say) is refused though its signature is good.
    public init(
        secret: String, clock: any TimeSource, lifetime: TimeInterval,
        accountExists: @escaping @Sendable (User.ID) async throws -> Bool = { _ in true }
    ) async {
        precondition(secret.utf8.count >= 32, "token secret must be at least 32 bytes")
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.clock = clock
        self.lifetime = lifetime
        self.accountExists = accountExists
    }

    public func token(for user: User.ID) async throws -> String {
        let now = clock.now
        let token = try await keys.sign(
            Claims(
                sub: SubjectClaim(value: user.rawValue), exp: ExpirationClaim(value: now + lifetime),
                iat: IssuedAtClaim(value: now)))
        // Signed here a moment ago: it needs no check on this instance. (The first check
        // of a token goes through the key collection, an actor; when a hot sale's buyers
        // all arrived with fresh tokens, some of them waited seconds for it.)
        remember(token, user: user, expiry: now + lifetime)
        know(user)
        return token
    }

    /// The user a token belongs to; throws `unauthenticated` for a bad or expired token.
    public func user(for token: String) async throws -> User.ID {
        let now = clock.now
        if let (user, expiry) = verified.withLock({ $0[token] }) {
            guard expiry > now else { throw BookingError.unauthenticated("the token has expired; sign in again") }
            return user
        }
        let invalid = BookingError.unauthenticated("the bearer token is not valid")
        // Ours are about 200 bytes; a longer one is refused unread (and not kept).
        guard token.utf8.count <= Self.longestToken else { throw invalid }
        if rejected.withLock({ $0.contains(token) }) { throw invalid }
        verifications.add(1, ordering: .relaxed)
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            reject(token)
            throw invalid
        }
        let user = User.ID(claims.sub.value)
        if claims.exp.value > now, !knownAccounts.withLock({ $0.contains(user) }) {
            // A database that cannot answer now must not lock out every buyer with a
            // token: the signature is good, so the token passes unremembered and its
            // account is asked about again on its next use.
            let exists: Bool
            do {
                exists = try await accountExists(user)
            } catch {
                return user
            }
            guard exists else {
                reject(token)
                throw BookingError.unauthenticated("the account of this token does not exist; register or sign in")
            }
            know(user)
        }
        // Remembered expired too: the next use is refused from the cache.
        remember(token, user: user, expiry: claims.exp.value)
        guard claims.exp.value > now else { throw BookingError.unauthenticated("the token has expired; sign in again") }
        return user
    }

    private func know(_ user: User.ID) {
        knownAccounts.withLock { known in
            if known.count >= 100_000 { known.removeAll(keepingCapacity: true) }
            known.insert(user)
        }
    }

    private func reject(_ token: String) {
        rejected.withLock { rejected in
            if rejected.count >= 10_000 { rejected.removeAll(keepingCapacity: true) }
            rejected.insert(token)
        }
    }

    private func remember(_ token: String, user: User.ID, expiry: Date) {
        verified.withLock { cache in
            if cache.count >= 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[token] = (user, expiry)
        }
    }
}
