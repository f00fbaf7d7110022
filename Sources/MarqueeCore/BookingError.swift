/// Everything a buyer or partner can get wrong, or lose a race over. The server
/// maps each case to one HTTP status and a stable `code` in one place.
public enum BookingError: Error, Hashable, Sendable {
    case invalidField(String, String)
    case unknownSeats([Seat.ID])
    case tooManySeats(requested: Int, max: Int)
    case seatsUnavailable(unavailable: [Seat.ID], suggested: [Seat.ID])
    case holdExists(Hold.ID)
    case holdLimitReached(max: Int)
    case holdExpired(Hold.ID)
    case holdNotActive(Hold.ID, Hold.Status)
    case showClosed(Show.ID)
    case notFound(String, String)
    case emailTaken(String)
    case invalidCredentials
    case unauthenticated(String)
}
