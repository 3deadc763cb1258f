//! Login throttling (DESIGN §5): one rule for staff sign-in and exam-day login. Every
//! attempt is recorded *before* the credentials are checked and counted with the ones
//! before it, so parallel attempts cannot all slip under a count taken before any of
//! them was recorded; a successful login clears its key's record.
//!
//! Staff and exam-day attempts are counted apart ([`Scope`]), so a noisy exam hall never
//! locks staff out of the console or the other way round, and each has its own limits:
//! a whole hall behind one address logs in on exam day, so the per-address limit there
//! is much higher, while a wrong ID number locks only its admission number (a proctor
//! can unlock it).

/// Which sign-in an attempt belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Accounts: the key is the login name.
    Staff,
    /// Exam-day login: the key is the admission number.
    Exam,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Staff => "staff",
            Scope::Exam => "exam",
        }
    }
}

/// How many attempts within the window are allowed per key and per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_key: i64,
    pub per_address: i64,
}

/// Attempts within the window, the one being judged included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub by_key: i64,
    pub by_address: i64,
}

/// Too many attempts: refused before the credentials are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled;

/// Whether an attempt may go on to the credential check. `per_key = 5` lets five
/// attempts through and refuses the sixth, right credentials or not.
pub fn check(attempts: Attempts, limits: Limits) -> Result<(), Throttled> {
    if attempts.by_key > limits.per_key || attempts.by_address > limits.per_address {
        Err(Throttled)
    } else {
        Ok(())
    }
}

/// Whether a key is locked out now (as the proctor's console shows it): its next
/// attempt would be refused.
pub fn locked_out(recorded_for_key: i64, limits: Limits) -> bool {
    recorded_for_key >= limits.per_key
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_key: 5,
        per_address: 30,
    };

    fn at(by_key: i64, by_address: i64) -> Result<(), Throttled> {
        check(Attempts { by_key, by_address }, LIMITS)
    }

    #[test]
    fn the_attempt_after_the_limit_is_refused() {
        for n in 1..=5 {
            assert_eq!(at(n, n), Ok(()), "attempt {n}");
        }
        assert_eq!(at(6, 6), Err(Throttled));
        assert_eq!(at(1, 31), Err(Throttled), "the address is over its limit");
        assert!(!locked_out(4, LIMITS));
        assert!(locked_out(5, LIMITS));
    }
}
