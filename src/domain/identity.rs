//! Real-name identity documents (DESIGN §3.1).
//!
//! A mainland resident ID number is parsed into [`IdNumber`] only through the
//! GB 11643-1999 checks (length, characters, real birth date not in the future,
//! ISO 7064 MOD 11-2 check character), so the rest of the code cannot hold an
//! invalid one. Other document types (HK/Macao/Taiwan residence permits, foreign
//! permanent residence cards, passports) are accepted with lighter format checks.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// The weights of GB 11643-1999 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// `sum mod 11` → check character.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why an ID number was refused. Each variant is a message the person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters, this one has {0}")]
    Length(usize),
    #[error("only digits are allowed, with X as the last character")]
    Charset,
    #[error("the birth date {0} is not a real date or lies in the future")]
    BirthDate(String),
    #[error("the check character should be {expected}, not {found}")]
    CheckChar { expected: char, found: char },
}

impl IdNumberError {
    /// Stable code used for translation and by API clients.
    pub fn code(&self) -> &'static str {
        match self {
            IdNumberError::Length(_) => "id_number.length",
            IdNumberError::Charset => "id_number.charset",
            IdNumberError::BirthDate(_) => "id_number.birth_date",
            IdNumberError::CheckChar { .. } => "id_number.check_char",
        }
    }
}

/// The sex encoded in the sequence code (odd male, even female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// A valid 18-character resident ID number, stored with an upper-case `X`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses and validates a number; `today` is the server's date, used to refuse
    /// birth dates in the future. Surrounding white space and a lower-case `x` are accepted.
    pub fn parse(input: &str, today: Date) -> Result<Self, IdNumberError> {
        let s = input.trim().to_ascii_uppercase();
        let len = s.chars().count();
        if len != 18 {
            return Err(IdNumberError::Length(len));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(IdNumberError::Charset);
        }
        let birth = &s[6..14];
        parse_birth_date(birth)
            .filter(|d| *d <= today)
            .ok_or_else(|| IdNumberError::BirthDate(birth.to_string()))?;
        let expected = check_char(&bytes[..17]);
        let found = bytes[17] as char;
        if expected != found {
            return Err(IdNumberError::CheckChar { expected, found });
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Date {
        // Validated at construction.
        parse_birth_date(&self.0[6..14]).unwrap_or(Date::MIN)
    }

    pub fn sex(&self) -> Sex {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// `3201**********1234`: the first four and last four characters.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }
}

impl fmt::Debug for IdNumber {
    // Never print the full number, not even in debug output or panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// The ISO 7064 MOD 11-2 check character over the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn parse_birth_date(yyyymmdd: &str) -> Option<Date> {
    let year: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let month: u8 = yyyymmdd.get(4..6)?.parse().ok()?;
    let day: u8 = yyyymmdd.get(6..8)?.parse().ok()?;
    if year < 1800 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Keeps `head` and `tail` characters and replaces the rest with `*`.
pub fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..head]);
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The kinds of identity document a person may register with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// 居民身份证
    ResidentId,
    /// 港澳居民居住证 / 台湾居民居住证 (18 characters, GB 11643 layout, 810000/820000/830000)
    ResidencePermit,
    /// 外国人永久居留身份证
    ForeignPermanentResident,
    /// 护照
    Passport,
}

impl DocumentType {
    pub const ALL: [DocumentType; 4] = [
        DocumentType::ResidentId,
        DocumentType::ResidencePermit,
        DocumentType::ForeignPermanentResident,
        DocumentType::Passport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocumentType::ResidentId => "resident_id",
            DocumentType::ResidencePermit => "residence_permit",
            DocumentType::ForeignPermanentResident => "foreign_permanent_resident",
            DocumentType::Passport => "passport",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// A validated identity document: its type and normalised number.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub doc_type: DocumentType,
    number: String,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document({:?}, {})", self.doc_type, self.masked())
    }
}

/// Why a document number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    #[error("document numbers have 5 to 20 letters and digits")]
    Format,
}

impl DocumentError {
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::IdNumber(e) => e.code(),
            DocumentError::Format => "document.format",
        }
    }
}

impl Document {
    pub fn parse(doc_type: DocumentType, input: &str, today: Date) -> Result<Self, DocumentError> {
        let number = match doc_type {
            // Residence permits use the GB 11643 layout and check character too.
            DocumentType::ResidentId | DocumentType::ResidencePermit => {
                IdNumber::parse(input, today)?.0
            }
            DocumentType::ForeignPermanentResident | DocumentType::Passport => {
                let s = input.trim().to_ascii_uppercase();
                if !(5..=20).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(DocumentError::Format);
                }
                s
            }
        };
        Ok(Document { doc_type, number })
    }

    /// The full number: only for encryption and the keyed look-up hash.
    pub fn expose(&self) -> &str {
        &self.number
    }

    pub fn masked(&self) -> String {
        mask(&self.number, 4, 4)
    }

    /// The birth date and sex, where the document encodes them.
    pub fn birth_and_sex(&self) -> Option<(Date, Sex)> {
        match self.doc_type {
            DocumentType::ResidentId | DocumentType::ResidencePermit => {
                let id = IdNumber(self.number.clone());
                Some((id.birth_date(), id.sex()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    #[test]
    fn accepts_the_examples_of_the_standard() {
        let a = IdNumber::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(a.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(a.sex(), Sex::Female);
        let b = IdNumber::parse("440524188001010014", TODAY).unwrap();
        assert_eq!(b.sex(), Sex::Male);
    }

    #[test]
    fn lower_case_x_is_stored_upper_case() {
        let a = IdNumber::parse(" 11010519491231002x ", TODAY).unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
    }

    #[test]
    fn says_why_a_number_is_refused() {
        assert_eq!(
            IdNumber::parse("1101051949123100", TODAY),
            Err(IdNumberError::Length(16))
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y", TODAY),
            Err(IdNumberError::Charset)
        );
        assert_eq!(
            IdNumber::parse("1101051949123X002X", TODAY),
            Err(IdNumberError::Charset)
        );
        assert!(matches!(
            IdNumber::parse("110105194902300021", TODAY),
            Err(IdNumberError::BirthDate(_))
        ));
        assert_eq!(
            IdNumber::parse("110105194912310021", TODAY),
            Err(IdNumberError::CheckChar {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn refuses_birth_dates_in_the_future() {
        let first17 = b"11010520301231002";
        let n = format!(
            "{}{}",
            std::str::from_utf8(first17).unwrap(),
            check_char(first17)
        );
        assert!(matches!(
            IdNumber::parse(&n, TODAY),
            Err(IdNumberError::BirthDate(_))
        ));
    }

    #[test]
    fn masks_all_but_the_ends() {
        let a = IdNumber::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(a.masked(), "1101**********002X");
        assert_eq!(format!("{a:?}"), "IdNumber(1101**********002X)");
    }

    #[test]
    fn other_documents_have_lighter_checks() {
        assert!(Document::parse(DocumentType::Passport, "e12345678", TODAY).is_ok());
        assert_eq!(
            Document::parse(DocumentType::Passport, "E1", TODAY),
            Err(DocumentError::Format)
        );
        assert!(
            Document::parse(DocumentType::ResidencePermit, "11010519491231002X", TODAY).is_ok()
        );
    }

    fn valid_first17() -> impl Strategy<Value = String> {
        (100000u32..=999999, date_strategy(), 0u32..=999).prop_map(|(area, d, seq)| {
            format!(
                "{area:06}{:04}{:02}{:02}{seq:03}",
                d.year(),
                u8::from(d.month()),
                d.day()
            )
        })
    }

    fn date_strategy() -> impl Strategy<Value = Date> {
        // Julian days from 1900-01-01 up to TODAY.
        let lo = date!(1900 - 01 - 01).to_julian_day();
        let hi = TODAY.to_julian_day();
        (lo..=hi).prop_map(|j| Date::from_julian_day(j).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn every_generated_valid_number_is_accepted(first17 in valid_first17()) {
            let n = format!("{first17}{}", check_char(first17.as_bytes()));
            let id = IdNumber::parse(&n, TODAY).unwrap();
            prop_assert_eq!(id.as_str(), n.as_str());
            let lower = n.to_ascii_lowercase();
            prop_assert!(IdNumber::parse(&lower, TODAY).is_ok());
        }

        #[test]
        fn every_wrong_check_character_is_refused(first17 in valid_first17(), idx in 0usize..11) {
            let good = check_char(first17.as_bytes());
            let bad = CHECK_CHARS[idx];
            prop_assume!(bad != good);
            let n = format!("{first17}{bad}");
            let refused = matches!(
                IdNumber::parse(&n, TODAY),
                Err(IdNumberError::CheckChar { .. })
            );
            prop_assert!(refused);
        }

        #[test]
        fn a_single_changed_digit_is_detected(first17 in valid_first17(), pos in 0usize..17, delta in 1u8..10) {
            let n = format!("{first17}{}", check_char(first17.as_bytes()));
            let mut bytes = n.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single-digit substitution; a changed date digit may
            // instead make the date invalid. Either way the number is refused.
            prop_assert!(IdNumber::parse(&changed, TODAY).is_err());
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,30}") {
            let _ = IdNumber::parse(&s, TODAY);
        }
    }
}

/// Whether `name` can stand on a real-name record and a certificate: letters of any
/// script (Chinese, Latin, Uyghur, Tibetan, …) with the marks listed in
/// [`unicode_mark`], digits, spaces
/// and the marks names use (the middle dots · • ‧ ・ of transliterated names, `.`, `-`,
/// `'`, `’`, the Tibetan tsheg). Markup, quotes, brackets and control characters are refused: a name is
/// printed on certificates and read aloud in the exam room, and `<script>` is nobody's.
pub fn plausible_person_name(name: &str) -> bool {
    name.chars().all(|c| {
        c.is_alphanumeric()
            || c == ' '
            || matches!(
                c,
                '·' | '•' | '‧' | '・' | '.' | '-' | '\'' | '’' | '\u{0F0B}' | '\u{0F0C}'
            )
            || unicode_mark(c)
    })
}

/// What `char::is_alphanumeric` does not count as letters but names are written with:
/// combining marks (Latin accents; Hebrew, Arabic, Indic, Thai, Lao, Tibetan, Myanmar and
/// Khmer vowel signs), Mongolian free variation selectors and vowel separator, variation
/// selectors, zero-width (non-)joiners, the narrow no-break space, and the private-use
/// areas, where rare characters (生僻字) of identity records are encoded.
fn unicode_mark(c: char) -> bool {
    matches!(u32::from(c), 0x0300..=0x036F | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0900..=0x0DFF | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E
        | 0x0EB1..=0x0EBC | 0x0EC8..=0x0ECD | 0x0F18..=0x0FBC | 0x102B..=0x103E
        | 0x1056..=0x1059 | 0x17B4..=0x17D3 | 0x180B..=0x180F | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF | 0x200C..=0x200D | 0x202F | 0x20D0..=0x20FF | 0xE000..=0xF8FF
        | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF | 0xF0000..=0x10FFFD)
}

#[cfg(test)]
mod name_tests {
    use super::plausible_person_name as ok;

    #[test]
    fn names_of_every_script_pass_and_markup_does_not() {
        for name in [
            "张三",
            "欧阳娜娜",
            "阿依古丽·买买提",
            "José Müller",
            "O'Brien",
            "Jean-Luc",
            "考生12",
            "ཚེ་རིང་",
        ] {
            assert!(ok(name), "{name}");
        }
        for name in [
            "<b>张三</b>",
            "张三\"",
            "a=b",
            "x(1)",
            "张\u{0}三",
            "张三\n",
            "`x`",
            "a;b",
            "{{x}}",
        ] {
            assert!(!ok(name), "{name:?}");
        }
    }
}
