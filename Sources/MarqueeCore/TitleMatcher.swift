import Foundation

/// Typo-tolerant title search: "avengrs" finds "Avengers: Endgame" and
/// "dark night" finds "The Dark Knight".
public struct TitleMatcher: Sendable {
    private static let stopWords: Set<String> = ["the", "a", "an", "of", "and", "&"]

    private let queryTokens: [[Unicode.Scalar]]

    /// Returns nil for a query with nothing searchable in it.
    public init?(query: String) {
        let tokens = Self.tokens(of: query)
        let meaningful = tokens.filter { !Self.stopWords.contains($0) }
        let chosen = meaningful.isEmpty ? tokens : meaningful
        guard !chosen.isEmpty else { return nil }
        queryTokens = chosen.map { Array($0.unicodeScalars) }
    }

    /// A score in 0...1 when every query word matches some word of the title
    /// (exactly, as a prefix, or within a few typos), nil otherwise.
    public func score(_ title: String) -> Double? {
        let words = Self.tokens(of: title)
        var candidates = words.map { Array($0.unicodeScalars) }
        // "spiderman" should find "Spider-Man": also offer adjacent words joined.
        for index in words.indices.dropLast() {
            candidates.append(Array((words[index] + words[index + 1]).unicodeScalars))
        }
        // "kgf" should find "K.G.F: Chapter 2": runs of single letters read as one word.
        var initials = ""
        for word in words + [""] {
            if word.count == 1 {
                initials += word
            } else {
                if initials.count > 1 { candidates.append(Array(initials.unicodeScalars)) }
                initials = ""
            }
        }
        var total = 0.0
        for query in queryTokens {
            var best = 0.0
            for word in candidates {
                best = max(best, Self.similarity(query, word))
                if best == 1 { break }
            }
            if best == 0 { return nil }
            total += best
        }
        return total / Double(queryTokens.count)
    }

    static func similarity(_ query: [Unicode.Scalar], _ word: [Unicode.Scalar]) -> Double {
        if query == word { return 1 }
        if query.count >= 2 && word.count > query.count && Array(word.prefix(query.count)) == query {
            return 0.9
        }
        let allowed = query.count <= 3 ? 0 : (query.count <= 6 ? 1 : 2)
        guard allowed > 0, abs(query.count - word.count) <= allowed else { return 0 }
        let distance = editDistance(query, word, limit: allowed)
        guard distance <= allowed else { return 0 }
        return 0.8 - 0.1 * Double(distance)
    }

    /// Lower-cased, accent-free words of letters and digits.
    static func tokens(of text: String) -> [String] {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .lowercased()
            .split { !$0.isLetter && !$0.isNumber }
            .map(String.init)
    }

    /// Optimal-string-alignment distance (Levenshtein plus swaps of neighbours),
    /// giving up early once every path exceeds `limit`.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMin = min(rowMin, value)
            }
            if rowMin > limit { return rowMin }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
