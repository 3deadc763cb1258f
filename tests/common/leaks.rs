//! Finding codes shown to people untranslated (`skill_level`, `item.read_key`,
//! `suspended`): used by the locale test over HTTP and the browser walk.
#![allow(dead_code)]

use std::collections::BTreeSet;

use skillcert::web::i18n::{I18n, Lang};

/// The single-word codes of every enumeration a page might print raw.
pub fn enumeration_codes() -> BTreeSet<&'static str> {
    use skillcert::domain::exam::{
        AttemptStatus, FindingCategory, FindingSubject, IrregularityOutcome, PlanStatus,
        ProctorAction, Relation, Severity,
    };
    use skillcert::domain::item::{ItemStatus, ItemType, Transition};
    use skillcert::domain::org::{BodyType, CertificateKind, OrgKind, OrgStatus};
    use skillcert::domain::{identity::DocumentType, role::Role, standard::Mode};
    let mut codes = BTreeSet::new();
    codes.extend(Role::ALL.map(Role::code));
    codes.extend(AttemptStatus::ALL.map(AttemptStatus::code));
    codes.extend(PlanStatus::ALL.map(PlanStatus::code));
    codes.extend(OrgStatus::ALL.map(OrgStatus::code));
    codes.extend(OrgKind::ALL.map(OrgKind::code));
    codes.extend(BodyType::ALL.map(BodyType::code));
    codes.extend(CertificateKind::ALL.map(CertificateKind::code));
    codes.extend(ItemType::ALL.map(ItemType::code));
    codes.extend(ItemStatus::ALL.map(ItemStatus::code));
    codes.extend(Transition::ALL.map(Transition::code));
    codes.extend(Mode::ALL.map(Mode::code));
    codes.extend(Relation::ALL.map(Relation::code));
    codes.extend(DocumentType::ALL.map(DocumentType::code));
    codes.extend(IrregularityOutcome::ALL.map(IrregularityOutcome::code));
    codes.extend(FindingSubject::ALL.map(FindingSubject::code));
    codes.extend(FindingCategory::ALL.map(FindingCategory::code));
    codes.extend(Severity::ALL.map(Severity::code));
    codes.extend(ProctorAction::ALL.map(ProctorAction::code));
    codes.extend(["admit_all", "irregularity", "unlock_login"]);
    codes
}

/// The words codes are made of: every enumeration code and every part of every locale
/// key (`difficulty`, `stem`, `submit`). A zh-CN page shows none of them as words.
pub fn code_words() -> BTreeSet<String> {
    let i18n = I18n::load().unwrap();
    let mut words: BTreeSet<String> = enumeration_codes().into_iter().map(String::from).collect();
    for key in i18n.keys(Lang::Zh) {
        words.extend(
            key.split(['.', '_'])
                .filter(|w| w.len() >= 3)
                .map(String::from),
        );
    }
    words
}

/// Codes in `text`: a word of lower-case ASCII joined by `.` or `_`
/// (`skill_level`, `item.read_key`), or a whole word codes are made of.
pub fn leaked_codes(text: &str, words: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    // A hyphen joins a word to data (`item-b4812097`, `4-10-01-05`): such a token is
    // data, not a code.
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    for token in text.split(|c: char| !is_part(c)) {
        let token = token.trim_matches(['.', '-']);
        let lower = token
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if token.is_empty() || !lower || !token.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        let joined =
            token.contains('_') || (token.contains('.') && token.split('.').all(|s| !s.is_empty()));
        if joined || words.contains(token) {
            out.push(token.to_string());
        }
    }
    out
}
