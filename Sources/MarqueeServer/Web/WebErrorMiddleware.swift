import Hummingbird

/// On page routes an error becomes a page people can read (with a way back),
/// not the JSON problem document API clients get.
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: Pages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let problem = ProblemMiddleware<Context>.problem(for: error, request: request, context: context)
            let session = WebContext(csrf: WebSession.cookies(request)[WebSession.csrfCookie] ?? "", cookies: [:])
            let text =
                problem.status.code >= 500
                ? "Something went wrong on our side. Nothing was charged; please try again in a moment."
                : problem.detail.prefix(1).uppercased() + problem.detail.dropFirst() + "."
            return pages.render(
                "message", title: problem.status.reasonPhrase,
                ["heading": problem.status.reasonPhrase, "text": text, "link": "/", "linkText": "Back to what's on"],
                session: session, status: problem.status)
        }
    }
}
