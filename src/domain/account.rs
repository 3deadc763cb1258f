//! Account rules: login names and password strength.

use super::validate::{FieldError, Fields};

/// Login names are case-insensitive; they are stored lower-case.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// 3–64 characters: letters, digits, `.`, `_`, `-`, `@`.
pub fn validate_login(field: &str, login: &str, fields: &mut Fields) -> String {
    let l = normalise_login(login);
    let ok = (3..=64).contains(&l.chars().count())
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        fields.push(FieldError::new(field, "account.login_format"));
    }
    l
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// At least ten characters, not the login name, and not a single repeated character.
pub fn validate_password(field: &str, password: &str, login: &str, fields: &mut Fields) {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        fields.push(
            FieldError::new(field, "account.password_short")
                .with_detail(MIN_PASSWORD_CHARS.to_string()),
        );
    } else if n > 256 {
        fields.push(FieldError::new(field, "field.too_long").with_detail("256"));
    } else if normalise_login(password) == normalise_login(login)
        || password.chars().all(|c| password.starts_with(c))
    {
        fields.push(FieldError::new(field, "account.password_weak"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_field_named() {
        let mut f = Fields::default();
        validate_password("password", "short", "bob", &mut f);
        validate_password("password", "aaaaaaaaaaaa", "bob", &mut f);
        validate_password("password", "Alice.Admin", "alice.admin", &mut f);
        let codes: Vec<_> = f.errors().iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "account.password_short",
                "account.password_weak",
                "account.password_weak"
            ]
        );
        let mut ok = Fields::default();
        validate_password("password", "correct horse battery", "bob", &mut ok);
        assert!(ok.is_empty());
    }

    #[test]
    fn logins_are_lower_case_and_plain() {
        let mut f = Fields::default();
        assert_eq!(validate_login("login", " Zhang.San ", &mut f), "zhang.san");
        assert!(f.is_empty());
        validate_login("login", "张三", &mut f);
        validate_login("login", "ab", &mut f);
        assert_eq!(f.errors().len(), 2);
    }
}
