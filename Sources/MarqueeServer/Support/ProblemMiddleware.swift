import Foundation
import Hummingbird
import Logging
import MarqueeCore
import MarqueeStore
import NIOCore

/// Turns every error into a problem document and logs one line per request with
/// method, path, status and duration. Anything not mapped is a 500, logged loudly.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, request: request, context: context)
            response = try problem.response(from: request, context: context)
        }
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "\(request.method) \(request.uri.path) \(response.status.code) \(Self.milliseconds(elapsed))ms")
        return response
    }

    static func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let problem as Problem: return problem
        case let error as BookingError: return error.problem
        case is NIOTooManyBytesError:
            return Problem(
                .contentTooLarge, code: "body_too_large",
                detail: "the request body is larger than \(context.maxUploadSize) bytes")
        case let error as HTTPError:
            let code: String =
                switch error.status {
                case .contentTooLarge: "body_too_large"
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .badRequest: "bad_request"
                default: "http_\(error.status.code)"
                }
            let detail: String
            if let body = error.body {
                detail = body
            } else if error.status == .notFound {
                detail = "no such route: \(request.uri.path)"
            } else if error.status == .badRequest,
                request.uri.path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
            {
                detail = "a path may not have '.' or '..' segments"
            } else {
                detail = error.status.reasonPhrase
            }
            return Problem(error.status, code: code, detail: detail)
        case let error where DatabaseFailure.isOutOfReach(error):
            context.logger.error(
                "database unavailable",
                metadata: ["error": "\(DatabaseFailure.explain(error))", "path": "\(request.uri.path)"])
            // A read is simply asked again; a change is retried with its Idempotency-Key.
            let reading = request.method == .get || request.method == .head
            var problem = Problem(
                .serviceUnavailable, code: "database_unavailable",
                detail: "the database cannot be reached right now; try again shortly"
                    + (reading ? "" : " (a change with the same Idempotency-Key)"))
            problem.headers[.retryAfter] = "5"
            return problem
        case let error where DatabaseFailure.isCancellation(error):
            // Only a stop that outran its grace period cancels requests.
            context.logger.warning(
                "request cancelled: the server is stopping", metadata: ["path": "\(request.uri.path)"])
            var problem = Problem(.serviceUnavailable, code: "shutting_down", detail: "the server is stopping")
            problem.headers[.retryAfter] = "1"
            return problem
        default:
            context.logger.error(
                "unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return Problem(.internalServerError, code: "internal_error", detail: "something went wrong on our side")
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%.2f", ms)
    }
}
