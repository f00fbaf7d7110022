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
        guard let header = request.headers[.authorization] else {
            return try await next(request, try await fromSessionCookie(request, context: context))
        }
        var context = context
        // A stale or malformed token must not lock anyone out of public pages or of
        // signing in again: it only counts where a route needs a user.
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            do {
                context.userId = try await tokens.user(for: String(header.dropFirst(7)))
            } catch BookingError.unauthenticated(let reason) {
                context.authenticationFailure = reason
            }
        } else {
            context.authenticationFailure = "use Authorization: Bearer <token>"
        }
        return try await next(request, context)
    }

    /// Scripts on our pages call the API with the page's session cookie; a
    /// change also needs the CSRF token, so another site cannot make one.
    private func fromSessionCookie(_ request: Request, context: Context) async throws -> Context {
        let cookies = WebSession.cookies(request)
        guard let token = cookies[WebSession.sessionCookie] else { return context }
        var context = context
        guard
            WebSession.isSafe(request.method)
                || WebSession.csrfMatches(request.headers[.csrfToken], cookie: cookies[WebSession.csrfCookie])
        else {
            context.authenticationFailure =
                request.headers[.csrfToken] == nil
                ? "a request with the session cookie needs the X-CSRF-Token header"
                : "the X-CSRF-Token header does not match the marquee_csrf cookie"
            return context
        }
        do {
            context.userId = try await tokens.user(for: token)
        } catch BookingError.unauthenticated(let reason) {
            context.authenticationFailure = reason
        }
        return context
    }
}
