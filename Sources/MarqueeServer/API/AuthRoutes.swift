import Foundation
import Hummingbird
import HummingbirdBcrypt
import MarqueeCore
import MarqueeStore
import NIOPosix

/// Accounts: register, sign in, and who am I.
struct AuthRoutes {
    let accounts: any AccountStore
    let tokens: TokenIssuer
    let clock: any TimeSource
    let ids: any IdentifierSource
    let bcryptCost: UInt8

    struct RegisterRequest: Decodable {
        let email: String
        let password: String
        let name: String
    }

    struct LoginRequest: Decodable {
        let email: String
        let password: String
    }

    struct UserBody: Encodable {
        let id: String
        let email: String
        let name: String
        let role: String
        let createdAt: Date

        init(_ user: User) {
            id = user.id.rawValue
            email = user.email
            name = user.name
            role = user.role
            createdAt = user.createdAt
        }
    }

    struct SessionBody: Encodable {
        let user: UserBody
        let token: String
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("auth/register", use: register)
        group.post("auth/login", use: login)
        group.get("me", use: me)
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await APIJSON.decode(RegisterRequest.self, from: request, context: context)
        let email = body.email.trimmingCharacters(in: .whitespaces).lowercased()
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.validate(email: email, password: body.password, name: name)
        let user = User(id: User.ID(ids.make(prefix: "usr")), email: email, name: name, createdAt: clock.now)
        let hash = try await Self.hash(body.password, cost: bcryptCost)
        try await accounts.createUser(user, passwordHash: hash)
        return try APIJSON.response(
            SessionBody(user: UserBody(user), token: try await tokens.token(for: user.id)), status: .created)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await APIJSON.decode(LoginRequest.self, from: request, context: context)
        let email = body.email.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.count <= 254, body.password.utf8.count <= 72,
            let (user, hash) = try await accounts.credentials(email: email),
            try await Self.verify(body.password, hash: hash)
        else { throw BookingError.invalidCredentials }
        return try APIJSON.response(SessionBody(user: UserBody(user), token: try await tokens.token(for: user.id)))
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.requireUser()
        guard let user = try await accounts.user(id) else {
            throw BookingError.unauthenticated("the account of this token no longer exists")
        }
        return try APIJSON.response(["user": UserBody(user)])
    }

    static func validate(email: String, password: String, name: String) throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else { throw BookingError.invalidField("email", "must be an e-mail address such as asha@example.com") }
        // bcrypt reads only the first 72 bytes; refuse longer rather than silently ignore the rest.
        guard password.count >= 8, password.utf8.count <= 72 else {
            throw BookingError.invalidField("password", "must be at least 8 characters and at most 72 bytes")
        }
        guard password.contains(where: { !$0.isWhitespace }) else {
            throw BookingError.invalidField("password", "must not be only spaces")
        }
        // Control and invisible formatting characters (NUL, right-to-left overrides) have no place in a name.
        guard !name.unicodeScalars.contains(where: { [.control, .format].contains($0.properties.generalCategory) })
        else {
            throw BookingError.invalidField("name", "must not contain control or invisible formatting characters")
        }
        guard !name.isEmpty, name.count <= 100 else {
            throw BookingError.invalidField("name", "must be 1 to 100 characters")
        }
    }

    /// bcrypt is deliberately slow: run it on the blocking thread pool, not the request's executor.
    static func hash(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
