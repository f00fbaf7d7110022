import MarqueeCore
import Testing

@Suite struct TitleMatcherTests {
    let titles = [
        "Avengers: Endgame", "The Dark Knight", "Inception", "Spider-Man: Across the Spider-Verse", "La La Land",
    ]

    func search(_ query: String) -> [String] {
        guard let matcher = TitleMatcher(query: query) else { return [] }
        return titles.compactMap { title in matcher.score(title).map { (title, $0) } }
            .sorted { $0.1 > $1.1 }.map(\.0)
    }

    @Test func aMissingLetterStillFindsTheTitle() {
        #expect(search("avengrs").first == "Avengers: Endgame")
    }

    @Test func aWordThatSoundsAlikeFindsTheTitle() {
        #expect(search("dark night") == ["The Dark Knight"])
    }

    @Test func swappedLettersAndCaseAreForgiven() {
        #expect(search("INCEPITON") == ["Inception"])
    }

    @Test func theStartOfAWordMatchesAsYouType() {
        #expect(search("aven").first == "Avengers: Endgame")
    }

    @Test func joinedWordsFindHyphenatedTitles() {
        #expect(search("spiderman").first == "Spider-Man: Across the Spider-Verse")
    }

    @Test func initialsWrittenTogetherFindDottedTitles() {
        guard let matcher = TitleMatcher(query: "kgf") else {
            Issue.record("kgf is searchable")
            return
        }
        #expect(matcher.score("K.G.F: Chapter 2") != nil)
        #expect(matcher.score("Inception") == nil)
    }

    @Test func unrelatedWordsFindNothing() {
        #expect(search("zebra crossing").isEmpty)
        #expect(search("knight").count == 1)
    }

    @Test func aQueryOfOnlyPunctuationIsNotSearchable() {
        #expect(TitleMatcher(query: "  ?! ") == nil)
    }
}
