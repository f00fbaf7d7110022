import PostgresNIO
import _ConnectionPoolModule

/// What a database error means for the caller: out of reach (the service is
/// unavailable for now, not the request wrong), and what the database said.
public enum DatabaseFailure {
    /// Whether `error` says the database is out of reach (a lost or refused
    /// connection, the pool giving up on connecting) rather than that a statement failed.
    public static func isOutOfReach(_ error: any Error) -> Bool {
        if error is ConnectionLost || error is NoConnection { return true }
        if let error = error as? ConnectionPoolError {
            return error == .connectionCreationCircuitBreakerTripped || error == .poolShutdown
        }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            // Class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300 (too many connections).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300", "55000"].contains(state)
        default:
            return false
        }
    }

    /// Whether `error` only says the call was cancelled (the process is stopping),
    /// not that anything failed.
    public static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? ConnectionPoolError) == .requestCancelled
    }

    /// What PostgreSQL or the network said, which PSQLError's own description hides
    /// (on purpose: it may hold data); any other error as it describes itself.
    /// For messages and logs.
    public static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return String(describing: underlying) }
        return "\(error.code)"
    }
}
