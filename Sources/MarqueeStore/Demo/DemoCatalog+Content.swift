// Demo content for the Marquee box office: cities, venues, films and live events.
// All synopses are original wording written for this demo catalogue.

struct DemoCity: Sendable {
    let slug: String
    let name: String
    let country: String
    let timeZone: String
    let currency: String
    let latitude: Double
    let longitude: Double
    let languages: [String]
    let venues: [DemoVenue]
}

struct DemoVenue: Sendable {
    let slug: String
    let name: String
    let address: String
    let latitude: Double
    let longitude: Double
    let screenCount: Int
    let flagship: Bool
    let kind: String
}

struct DemoMovie: Sendable {
    let slug: String
    let title: String
    let genres: [String]
    let language: String
    let durationMinutes: Int
    let certification: String
    let releaseDate: String
    let synopsis: String
    let kind: String
    let cities: [String]
}

enum DemoCatalog {
    static let cities: [DemoCity] = [
        DemoCity(
            slug: "mumbai", name: "Mumbai", country: "IN", timeZone: "Asia/Kolkata", currency: "INR",
            latitude: 19.0760, longitude: 72.8777,
            languages: ["Hindi", "English", "Marathi", "Tamil", "Telugu"],
            venues: [
                DemoVenue(
                    slug: "pvr-icon-phoenix-palladium", name: "PVR ICON Phoenix Palladium",
                    address: "462 Senapati Bapat Marg, Lower Parel, Mumbai 400013",
                    latitude: 18.9941, longitude: 72.8245, screenCount: 6, flagship: true, kind: "cinema"
                ),
                DemoVenue(
                    slug: "inox-nariman-point", name: "INOX Nariman Point",
                    address: "CR2 Mall, Barrister Rajni Patel Marg, Nariman Point, Mumbai 400021",
                    latitude: 18.9260, longitude: 72.8226, screenCount: 4, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "cinepolis-fun-republic-andheri", name: "Cinepolis Fun Republic Andheri",
                    address: "Off New Link Road, Andheri West, Mumbai 400053",
                    latitude: 19.1365, longitude: 72.8296, screenCount: 5, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "gaiety-galaxy-bandra", name: "Gaiety Galaxy Bandra",
                    address: "Hill Road Junction, Bandra West, Mumbai 400050",
                    latitude: 19.0553, longitude: 72.8402, screenCount: 3, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "nsci-dome-worli", name: "NSCI Dome",
                    address: "Lala Lajpat Rai Marg, Worli, Mumbai 400018",
                    latitude: 19.0075, longitude: 72.8162, screenCount: 2, flagship: false, kind: "arena"
                ),
            ]
        ),
        DemoCity(
            slug: "bengaluru", name: "Bengaluru", country: "IN", timeZone: "Asia/Kolkata", currency: "INR",
            latitude: 12.9716, longitude: 77.5946,
            languages: ["Kannada", "English", "Hindi", "Tamil", "Telugu", "Malayalam"],
            venues: [
                DemoVenue(
                    slug: "pvr-orion-mall-rajajinagar", name: "PVR Orion Mall Rajajinagar",
                    address: "Dr Rajkumar Road, Rajajinagar, Bengaluru 560055",
                    latitude: 13.0108, longitude: 77.5550, screenCount: 6, flagship: true, kind: "cinema"
                ),
                DemoVenue(
                    slug: "inox-garuda-mall", name: "INOX Garuda Mall",
                    address: "Magrath Road, Ashok Nagar, Bengaluru 560025",
                    latitude: 12.9701, longitude: 77.6097, screenCount: 4, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "cinepolis-nexus-koramangala", name: "Cinepolis Nexus Koramangala",
                    address: "21 Hosur Road, Koramangala, Bengaluru 560029",
                    latitude: 12.9346, longitude: 77.6113, screenCount: 5, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "urvashi-cinema-lalbagh", name: "Urvashi Cinema",
                    address: "42 Lalbagh Road, Sudhama Nagar, Bengaluru 560027",
                    latitude: 12.9578, longitude: 77.5870, screenCount: 2, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "phoenix-marketcity-arena", name: "Phoenix Marketcity Arena",
                    address: "Whitefield Main Road, Mahadevapura, Bengaluru 560048",
                    latitude: 12.9975, longitude: 77.6966, screenCount: 2, flagship: false, kind: "arena"
                ),
            ]
        ),
        DemoCity(
            slug: "london", name: "London", country: "GB", timeZone: "Europe/London", currency: "GBP",
            latitude: 51.5074, longitude: -0.1278,
            languages: ["English", "French", "Spanish", "Japanese", "Korean"],
            venues: [
                DemoVenue(
                    slug: "odeon-luxe-leicester-square", name: "Odeon Luxe Leicester Square",
                    address: "24-26 Leicester Square, London WC2H 7JY",
                    latitude: 51.5103, longitude: -0.1303, screenCount: 5, flagship: true, kind: "cinema"
                ),
                DemoVenue(
                    slug: "curzon-soho", name: "Curzon Soho",
                    address: "99 Shaftesbury Avenue, London W1D 5DY",
                    latitude: 51.5128, longitude: -0.1313, screenCount: 3, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "everyman-screen-on-the-green", name: "Everyman Screen on the Green",
                    address: "83 Upper Street, Islington, London N1 0NP",
                    latitude: 51.5373, longitude: -0.1035, screenCount: 2, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "vue-westfield-london", name: "Vue Westfield London",
                    address: "Ariel Way, White City, London W12 7GB",
                    latitude: 51.5072, longitude: -0.2213, screenCount: 6, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "eventim-apollo-hammersmith", name: "Eventim Apollo",
                    address: "45 Queen Caroline Street, Hammersmith, London W6 9QH",
                    latitude: 51.4908, longitude: -0.2245, screenCount: 2, flagship: false, kind: "arena"
                ),
            ]
        ),
        DemoCity(
            slug: "new-york", name: "New York", country: "US", timeZone: "America/New_York", currency: "USD",
            latitude: 40.7128, longitude: -74.0060,
            languages: ["English", "Spanish", "Korean", "Japanese", "French"],
            venues: [
                DemoVenue(
                    slug: "amc-lincoln-square-13", name: "AMC Lincoln Square 13",
                    address: "1998 Broadway, New York, NY 10023",
                    latitude: 40.7750, longitude: -73.9817, screenCount: 6, flagship: true, kind: "cinema"
                ),
                DemoVenue(
                    slug: "regal-union-square", name: "Regal Union Square",
                    address: "850 Broadway, New York, NY 10003",
                    latitude: 40.7346, longitude: -73.9910, screenCount: 5, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "angelika-film-center", name: "Angelika Film Center",
                    address: "18 West Houston Street, New York, NY 10012",
                    latitude: 40.7254, longitude: -73.9971, screenCount: 4, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "alamo-drafthouse-brooklyn", name: "Alamo Drafthouse Brooklyn",
                    address: "445 Albee Square West, Brooklyn, NY 11201",
                    latitude: 40.6912, longitude: -73.9832, screenCount: 3, flagship: false, kind: "cinema"
                ),
                DemoVenue(
                    slug: "beacon-theatre", name: "Beacon Theatre",
                    address: "2124 Broadway, New York, NY 10023",
                    latitude: 40.7805, longitude: -73.9812, screenCount: 2, flagship: false, kind: "arena"
                ),
            ]
        ),
    ]

    static let movies: [DemoMovie] = [
        // MARK: English films (play everywhere)
        DemoMovie(
            slug: "avengers-endgame", title: "Avengers: Endgame", genres: ["Action", "Adventure", "Sci-Fi"],
            language: "English", durationMinutes: 181, certification: "UA", releaseDate: "2019-04-26",
            synopsis:
                "Half the universe is gone, and the heroes who survived must gamble everything on one last, impossible plan to set things right.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "the-dark-knight", title: "The Dark Knight", genres: ["Action", "Crime", "Drama"],
            language: "English", durationMinutes: 152, certification: "UA", releaseDate: "2008-07-18",
            synopsis:
                "Gotham's masked protector faces an anarchic criminal who wants to prove that anyone can be pushed past their principles.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "inception", title: "Inception", genres: ["Action", "Sci-Fi", "Thriller"],
            language: "English", durationMinutes: 148, certification: "UA", releaseDate: "2010-07-16",
            synopsis:
                "A thief who steals secrets from dreams is offered a way home if he can plant an idea instead. The deeper his team goes, the less certain reality becomes.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "interstellar", title: "Interstellar", genres: ["Adventure", "Drama", "Sci-Fi"],
            language: "English", durationMinutes: 169, certification: "UA", releaseDate: "2014-11-07",
            synopsis:
                "With Earth's crops failing, a former pilot leaves his children behind to search a distant galaxy for a new home, racing a clock that bends with gravity.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "dune-part-two", title: "Dune: Part Two", genres: ["Sci-Fi", "Adventure", "Drama"],
            language: "English", durationMinutes: 166, certification: "UA13+", releaseDate: "2024-03-01",
            synopsis:
                "Living among the desert people of Arrakis, a young exile must choose between the woman he loves and a prophecy that could set the galaxy on fire.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "oppenheimer", title: "Oppenheimer", genres: ["Drama", "Thriller"],
            language: "English", durationMinutes: 180, certification: "UA", releaseDate: "2023-07-21",
            synopsis:
                "The physicist who led the race to build the first atomic bomb wrestles with what he has unleashed, and with the men who later put him on trial.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "spider-man-across-the-spider-verse", title: "Spider-Man: Across the Spider-Verse",
            genres: ["Animation", "Action", "Adventure"],
            language: "English", durationMinutes: 140, certification: "U", releaseDate: "2023-06-02",
            synopsis:
                "Miles Morales tumbles through a multiverse of spider-heroes and discovers they have very different ideas about what a hero is allowed to save.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "la-la-land", title: "La La Land", genres: ["Musical", "Romance", "Drama"],
            language: "English", durationMinutes: 128, certification: "U", releaseDate: "2016-12-09",
            synopsis:
                "A jazz pianist and an aspiring actress fall for each other in Los Angeles, then learn that chasing a dream can mean letting something else go.",
            kind: "movie", cities: []
        ),
        DemoMovie(
            slug: "toy-story-5", title: "Toy Story 5", genres: ["Animation", "Family", "Comedy"],
            language: "English", durationMinutes: 100, certification: "U", releaseDate: "2026-06-19",
            synopsis:
                "Woody, Buzz and the gang discover that their newest rival for a child's attention doesn't have arms, legs or a pull-string at all.",
            kind: "movie", cities: []
        ),
        // MARK: Indian-language films
        DemoMovie(
            slug: "3-idiots", title: "3 Idiots", genres: ["Comedy", "Drama"],
            language: "Hindi", durationMinutes: 170, certification: "U", releaseDate: "2009-12-25",
            synopsis:
                "Two friends go looking for the college roommate who vanished after graduation, remembering how he taught them to learn for joy rather than marks.",
            kind: "movie", cities: ["mumbai", "bengaluru"]
        ),
        DemoMovie(
            slug: "dangal", title: "Dangal", genres: ["Drama", "Sports"],
            language: "Hindi", durationMinutes: 161, certification: "U", releaseDate: "2016-12-23",
            synopsis:
                "A former wrestler in a Haryana village trains his daughters for the mat, defying neighbours who insist the sport is no place for girls.",
            kind: "movie", cities: ["mumbai", "bengaluru"]
        ),
        DemoMovie(
            slug: "jawan", title: "Jawan", genres: ["Action", "Thriller"],
            language: "Hindi", durationMinutes: 169, certification: "UA", releaseDate: "2023-09-07",
            synopsis:
                "A masked vigilante hijacks a metro train to force the system's hand, while his own past with an arms dealer slowly comes into view.",
            kind: "movie", cities: ["mumbai", "bengaluru"]
        ),
        DemoMovie(
            slug: "vikram", title: "Vikram", genres: ["Action", "Thriller"],
            language: "Tamil", durationMinutes: 174, certification: "UA", releaseDate: "2022-06-03",
            synopsis:
                "A black-ops unit hunting a gang of masked killers realises the man at the centre of the case is far more dangerous than anyone suspected.",
            kind: "movie", cities: ["bengaluru", "mumbai"]
        ),
        DemoMovie(
            slug: "kantara", title: "Kantara", genres: ["Action", "Drama", "Thriller"],
            language: "Kannada", durationMinutes: 148, certification: "UA", releaseDate: "2022-09-30",
            synopsis:
                "In a coastal Karnataka village, a hot-headed buffalo racer clashes with a forest officer as an old pact between a king and the local deity resurfaces.",
            kind: "movie", cities: ["bengaluru"]
        ),
        DemoMovie(
            slug: "kgf-chapter-2", title: "K.G.F: Chapter 2", genres: ["Action", "Drama"],
            language: "Kannada", durationMinutes: 168, certification: "UA", releaseDate: "2022-04-14",
            synopsis:
                "Having seized the gold fields, Rocky must defend his empire against a vengeful rival and a government determined to bring him down.",
            kind: "movie", cities: ["bengaluru"]
        ),
        DemoMovie(
            slug: "rrr", title: "RRR", genres: ["Action", "Drama", "Adventure"],
            language: "Telugu", durationMinutes: 187, certification: "UA", releaseDate: "2022-03-25",
            synopsis:
                "In 1920s India, two revolutionaries on opposite sides of the law forge a fierce friendship before learning what each is really fighting for.",
            kind: "movie", cities: ["bengaluru", "mumbai"]
        ),
        DemoMovie(
            slug: "manjummel-boys", title: "Manjummel Boys", genres: ["Thriller", "Drama", "Adventure"],
            language: "Malayalam", durationMinutes: 135, certification: "UA", releaseDate: "2024-02-22",
            synopsis:
                "A holiday in the hills turns desperate when one of a group of friends falls into a deep cave, and the rest refuse to leave without him.",
            kind: "movie", cities: ["bengaluru"]
        ),
        DemoMovie(
            slug: "sairat", title: "Sairat", genres: ["Romance", "Drama"],
            language: "Marathi", durationMinutes: 174, certification: "UA", releaseDate: "2016-04-29",
            synopsis:
                "A fisherman's son and a landlord's daughter fall in love across caste lines in rural Maharashtra and run away together, with consequences neither expects.",
            kind: "movie", cities: ["mumbai"]
        ),
        // MARK: World cinema
        DemoMovie(
            slug: "parasite", title: "Parasite", genres: ["Thriller", "Drama", "Comedy"],
            language: "Korean", durationMinutes: 132, certification: "A", releaseDate: "2019-05-30",
            synopsis:
                "A struggling family talks its way, one job at a time, into the household of a wealthy couple, until a secret in the basement upends the arrangement.",
            kind: "movie", cities: ["london", "new-york"]
        ),
        DemoMovie(
            slug: "suzume", title: "Suzume", genres: ["Animation", "Adventure", "Fantasy"],
            language: "Japanese", durationMinutes: 122, certification: "U", releaseDate: "2022-11-11",
            synopsis:
                "A teenager in southern Japan helps a mysterious traveller close doors that let disaster into the world, on a road trip across the country.",
            kind: "movie", cities: ["london", "new-york"]
        ),
        DemoMovie(
            slug: "society-of-the-snow", title: "Society of the Snow", genres: ["Drama", "Thriller", "Adventure"],
            language: "Spanish", durationMinutes: 144, certification: "UA13+", releaseDate: "2023-12-15",
            synopsis:
                "After their plane crashes high in the Andes, a rugby team and their families endure months of cold and hunger, holding on to each other to survive.",
            kind: "movie", cities: ["london", "new-york"]
        ),
        DemoMovie(
            slug: "the-intouchables", title: "The Intouchables", genres: ["Comedy", "Drama"],
            language: "French", durationMinutes: 112, certification: "UA", releaseDate: "2011-11-02",
            synopsis:
                "A wealthy Parisian left paralysed hires an irreverent young man from the suburbs as his carer, and the two build an unlikely, life-changing friendship.",
            kind: "movie", cities: ["london", "new-york"]
        ),
        // MARK: Live events (arenas only)
        DemoMovie(
            slug: "midnight-frequencies-live", title: "Midnight Frequencies Live", genres: ["Concert"],
            language: "English", durationMinutes: 180, certification: "12A", releaseDate: "2026-03-14",
            synopsis:
                "A three-hour electronic music night with a rotating line-up of DJs, live visuals and a laser show built for the arena.",
            kind: "event", cities: ["mumbai", "bengaluru", "london"]
        ),
        DemoMovie(
            slug: "kaafi-hai-standup", title: "Kaafi Hai! A Stand-up Special", genres: ["Stand-up", "Comedy"],
            language: "Hindi", durationMinutes: 90, certification: "15", releaseDate: "2026-02-07",
            synopsis:
                "An evening of observational comedy about middle-class families, overbooked weddings and the eternal question of what's for dinner.",
            kind: "event", cities: ["mumbai", "bengaluru"]
        ),
        DemoMovie(
            slug: "late-laughs-comedy-night", title: "Late Laughs: Comedy Night", genres: ["Stand-up", "Comedy"],
            language: "English", durationMinutes: 100, certification: "15", releaseDate: "2026-04-18",
            synopsis:
                "Four touring comics share one stage for a fast-paced late show, with a headliner closing the night.",
            kind: "event", cities: ["london", "new-york"]
        ),
        DemoMovie(
            slug: "t20-final-live-screening", title: "T20 Final: Live Big-Screen Screening", genres: ["Sports"],
            language: "English", durationMinutes: 180, certification: "PG", releaseDate: "2026-05-31",
            synopsis:
                "Watch the season's deciding cricket match live on an arena-sized screen, with commentary, crowd games and fan zones between innings.",
            kind: "event", cities: ["mumbai", "bengaluru", "london", "new-york"]
        ),
        DemoMovie(
            slug: "raagam-symphony-film-music-live", title: "Raagam Symphony: Film Music Live",
            genres: ["Concert", "Musical"],
            language: "Tamil", durationMinutes: 160, certification: "PG", releaseDate: "2026-08-22",
            synopsis:
                "A full orchestra and choir perform beloved South Indian film songs, reimagined with new arrangements for a live audience.",
            kind: "event", cities: ["bengaluru"]
        ),
        DemoMovie(
            slug: "broadway-unplugged", title: "Broadway Unplugged: Showtunes Live", genres: ["Concert", "Musical"],
            language: "English", durationMinutes: 130, certification: "PG-13", releaseDate: "2026-10-10",
            synopsis:
                "Stage stars strip classic and modern showtunes back to piano and strings for an intimate one-night concert.",
            kind: "event", cities: ["new-york", "london"]
        ),
    ]
}
