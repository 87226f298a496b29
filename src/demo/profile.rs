//! Per-region parameters of the synthetic data, from DOMAIN.md §7 (stone weights, grades,
//! quality shares, washing seasons, names and places).

/// How one region's fields behave.
pub struct Profile {
    /// Median stone weight in carats and σ of ln(weight).
    pub median_ct: f64,
    pub sigma: f64,
    /// Median site grade in ct/m³ (each site draws its own, lognormally).
    pub grade_ct_per_m3: f64,
    /// Shares of gem and near-gem stones (the rest are industrial).
    pub gem: f64,
    pub near_gem: f64,
    /// Months (1–12) in which gravel is washed; the others are pulling months without finds.
    pub washing_months: &'static [u32],
    pub first_names_male: &'static [&'static str],
    pub first_names_female: &'static [&'static str],
    pub surnames: &'static [&'static str],
    pub villages: &'static [&'static str],
    pub chiefdoms: &'static [&'static str],
    /// Short code used in licence numbers.
    pub licence_prefix: &'static str,
    /// Phone prefix and number of digits after it.
    pub phone_prefix: &'static str,
}

const SL_MALE: &[&str] = &[
    "Mohamed", "Ibrahim", "Abu", "Alhaji", "Sahr", "Tamba", "Musa", "Komba", "Foday", "Sulaiman",
    "Amadu", "Lamin", "Aiah", "Fode", "Brima", "Saidu", "Kelfala", "Momoh",
];
const SL_FEMALE: &[&str] = &[
    "Fatmata", "Aminata", "Isatu", "Mariama", "Kadiatu", "Hawa", "Finda", "Sia", "Memuna",
];
const SL_SURNAMES: &[&str] = &[
    "Kamara", "Koroma", "Sesay", "Conteh", "Bangura", "Kargbo", "Turay", "Mansaray", "Jalloh",
    "Kanu", "Fofanah", "Sankoh", "Kabba", "Bockarie", "Lebbie", "Fomba", "Gbondo", "Kpakiwa",
    "Tucker", "Swaray",
];

/// The profile of a region code from the catalogue.
pub fn profile(code: &str) -> Profile {
    match code {
        "SL-KONO" => Profile {
            median_ct: 0.15,
            sigma: 1.2,
            grade_ct_per_m3: 0.05,
            gem: 0.55,
            near_gem: 0.25,
            washing_months: &[5, 6, 7, 8, 9, 10, 11],
            first_names_male: SL_MALE,
            first_names_female: SL_FEMALE,
            surnames: SL_SURNAMES,
            villages: &[
                "Tombodu",
                "Motema",
                "Yengema",
                "Njaiama",
                "Koakoyima",
                "Sewafe",
                "Bumpe",
                "Jaiama",
            ],
            chiefdoms: &[
                "Gbense", "Tankoro", "Nimikoro", "Nimiyama", "Kamara", "Sandor", "Fiama",
            ],
            licence_prefix: "KONO",
            phone_prefix: "+232 76",
        },
        "SL-KENEMA" => Profile {
            median_ct: 0.15,
            sigma: 1.2,
            grade_ct_per_m3: 0.04,
            gem: 0.6,
            near_gem: 0.22,
            washing_months: &[5, 6, 7, 8, 9, 10, 11],
            first_names_male: SL_MALE,
            first_names_female: SL_FEMALE,
            surnames: SL_SURNAMES,
            villages: &[
                "Tongo", "Panguma", "Giema", "Lalehun", "Kpandebu", "Konta", "Segbwema",
            ],
            chiefdoms: &[
                "Lower Bambara",
                "Dama",
                "Nongowa",
                "Small Bo",
                "Dodo",
                "Simbaru",
            ],
            licence_prefix: "KEN",
            phone_prefix: "+232 77",
        },
        "GH-AKWATIA" => Profile {
            median_ct: 0.03,
            sigma: 0.9,
            grade_ct_per_m3: 0.02,
            gem: 0.1,
            near_gem: 0.25,
            washing_months: &[4, 5, 6, 7, 9, 10, 11],
            first_names_male: &[
                "Kwame", "Kofi", "Yaw", "Kwabena", "Kwaku", "Kojo", "Kwasi", "Kwadwo", "Emmanuel",
                "Isaac",
            ],
            first_names_female: &["Akosua", "Ama", "Abena", "Afua", "Yaa", "Adwoa", "Esi"],
            surnames: &[
                "Mensah", "Owusu", "Boateng", "Asante", "Osei", "Agyei", "Appiah", "Darko",
                "Ofori", "Amoako", "Adjei", "Frimpong", "Ansah", "Tetteh",
            ],
            villages: &[
                "Akwatia",
                "Boadua",
                "Takorase",
                "Topremang",
                "Kade",
                "Asuom",
                "Abaam",
            ],
            chiefdoms: &[
                "Denkyembour",
                "Kwaebibirem",
                "Birim Central",
                "Abuakwa South",
            ],
            licence_prefix: "AKW",
            phone_prefix: "+233 24",
        },
        "CF-BERBERATI" => Profile {
            median_ct: 0.12,
            sigma: 1.0,
            grade_ct_per_m3: 0.03,
            gem: 0.4,
            near_gem: 0.3,
            washing_months: &[4, 5, 6, 7, 8, 9, 10, 11],
            first_names_male: &[
                "Jean", "Pierre", "Didier", "Faustin", "Brice", "Blaise", "Serge", "Aristide",
                "Eloi",
            ],
            first_names_female: &["Clarisse", "Jeanne", "Solange", "Rosine", "Odette"],
            surnames: &[
                "Yakite", "Ndakala", "Gbazi", "Kossi", "Mbali", "Zana", "Doko", "Sembe", "Ngaba",
                "Kette",
            ],
            villages: &[
                "Bania",
                "Mbaere",
                "Nassole",
                "Salo",
                "Gamboula",
                "Sosso-Nakombo",
            ],
            chiefdoms: &["Berberati", "Carnot", "Gamboula", "Sosso-Nakombo"],
            licence_prefix: "BER",
            phone_prefix: "+236 72",
        },
        _ => Profile {
            // CD-TSHIKAPA
            median_ct: 0.04,
            sigma: 1.0,
            grade_ct_per_m3: 0.02,
            gem: 0.05,
            near_gem: 0.25,
            washing_months: &[1, 2, 3, 4, 5, 9, 10, 11, 12],
            first_names_male: &[
                "Patrick",
                "Blaise",
                "Tresor",
                "Papy",
                "Fiston",
                "Jean-Pierre",
                "Didier",
                "Guy",
            ],
            first_names_female: &["Mamie", "Nathalie", "Chantal", "Esther", "Grace"],
            surnames: &[
                "Kabongo",
                "Mbuyi",
                "Tshibanda",
                "Ilunga",
                "Kalala",
                "Mukendi",
                "Ntumba",
                "Kasongo",
                "Lukusa",
            ],
            villages: &["Kamako", "Kanzala", "Mabuluku", "Kakenge", "Kamonia"],
            chiefdoms: &["Tshikapa", "Kamonia", "Ilebo"],
            licence_prefix: "TSH",
            phone_prefix: "+243 81",
        },
    }
}
