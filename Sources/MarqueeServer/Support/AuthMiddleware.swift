import Hummingbird
import MarqueeCore

/// Reads `Authorization: Bearer <token>` into the context; routes that need a
/// user call `context.requireUser()`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenIssuer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw BookingError.unauthenticated("use Authorization: Bearer <token>")
        }
        var context = context
        context.userId = try await tokens.user(for: String(header.dropFirst(7)))
        return try await next(request, context)
    }
}
