//! The `aws_iam` comparison (pure), and the credential report's CSV.

use super::{IamExpect, PolicyExpect};
use crate::probe::Finding;
use crate::probe::aws::verdict::{Verdicts, count};

/// A user from the credential report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct User {
    /// The user name (`<root_account>` for root).
    pub name: String,
    /// Can sign in to the console.
    pub password: bool,
    /// Has an MFA device.
    pub mfa: bool,
}

/// The account password policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Minimum length.
    pub min_length: u32,
    /// Symbols, digits, uppercase, lowercase required.
    pub symbols: bool,
    /// Digits required.
    pub numbers: bool,
    /// Uppercase required.
    pub uppercase: bool,
    /// Lowercase required.
    pub lowercase: bool,
    /// Days until a password expires, if they do.
    pub max_age_days: Option<u32>,
    /// Previous passwords remembered.
    pub reuse_prevention: u32,
}

/// What the calls said; only what the probe asked for is filled.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// The root user has MFA (GetAccountSummary).
    pub root_mfa: bool,
    /// Users from the credential report.
    pub users: Vec<User>,
    /// The password policy; `None`: the account has none.
    pub policy: Option<Policy>,
    /// Role names.
    pub roles: Vec<String>,
}

/// Reads the credential report's CSV: the `user`, `password_enabled` and
/// `mfa_active` columns (root's `not_supported` password counts as none).
pub fn parse_report(csv: &str) -> Result<Vec<User>, String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| format!("the credential report has no `{name}` column"))
    };
    let (user, password, mfa) = (col("user")?, col("password_enabled")?, col("mfa_active")?);
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
            User {
                name: cell(user).to_owned(),
                password: cell(password) == "true",
                mfa: cell(mfa) == "true",
            }
        })
        .collect())
}

/// Judges the account against the expectations.
pub fn judge(a: &Account, e: &IamExpect) -> Finding {
    let mut v = Verdicts::new();
    let mut summary = Vec::new();
    if e.root_mfa {
        v.check(
            a.root_mfa,
            "root user has MFA",
            if a.root_mfa { "MFA" } else { "no MFA" },
            || "root user: no MFA".to_owned(),
        );
        if a.root_mfa {
            summary.push("root MFA on".to_owned());
        }
    }
    if e.console_users_mfa {
        let console: Vec<&User> = a
            .users
            .iter()
            .filter(|u| u.password && u.name != "<root_account>")
            .collect();
        let bare: Vec<&&User> = console.iter().filter(|u| !u.mfa).collect();
        for u in &bare {
            v.check(
                false,
                "console users have MFA",
                format!("{}: console password, no MFA", u.name),
                || format!("user {}: console password without MFA", u.name),
            );
        }
        if bare.is_empty() {
            v.check(
                true,
                "console users have MFA",
                format!("{} with MFA", count(console.len(), "console user")),
                String::new,
            );
            summary.push(format!("{} with MFA", count(console.len(), "console user")));
        }
    }
    if let Some(want) = &e.password_policy {
        policy(a.policy.as_ref(), want, &mut v, &mut summary);
    }
    for role in &e.roles {
        let found = a.roles.iter().any(|r| r == role.as_str());
        v.check(
            found,
            format!("role {}", role.as_str()),
            if found { "exists" } else { "missing" },
            || format!("no role `{}`", role.as_str()),
        );
    }
    if !e.roles.is_empty() {
        summary.push(format!("{} present", count(e.roles.len(), "role")));
    }
    v.finish(&summary.join(", "))
}

fn policy(have: Option<&Policy>, want: &PolicyExpect, v: &mut Verdicts, summary: &mut Vec<String>) {
    let Some(p) = have else {
        v.check(false, "a password policy", "none", || {
            "no account password policy".to_owned()
        });
        return;
    };
    let before = summary.len();
    if let Some(min) = want.min_length {
        v.check(
            p.min_length >= min,
            format!("minimum length >= {min}"),
            p.min_length.to_string(),
            || format!("password policy: minimum length {} < {min}", p.min_length),
        );
    }
    for (asked, has, what) in [
        (want.require_symbols, p.symbols, "symbols"),
        (want.require_numbers, p.numbers, "numbers"),
        (want.require_uppercase, p.uppercase, "uppercase letters"),
        (want.require_lowercase, p.lowercase, "lowercase letters"),
    ] {
        if asked {
            v.check(
                has,
                format!("requires {what}"),
                if has { "required" } else { "not required" },
                || format!("password policy: {what} not required"),
            );
        }
    }
    if let Some(days) = want.max_age_days {
        let ok = p.max_age_days.is_some_and(|d| d > 0 && d <= days);
        let seen = p
            .max_age_days
            .map_or_else(|| "never".to_owned(), |d| format!("{d} days"));
        v.check(
            ok,
            format!("passwords expire within {days} days"),
            seen,
            || match p.max_age_days {
                Some(d) if d > 0 => {
                    format!("password policy: passwords expire after {d} days > {days}")
                }
                _ => {
                    format!("password policy: passwords never expire, expected within {days} days")
                }
            },
        );
    }
    if let Some(n) = want.reuse_prevention {
        v.check(
            p.reuse_prevention >= n,
            format!("reuse prevention >= {n}"),
            p.reuse_prevention.to_string(),
            || {
                format!(
                    "password policy: remembers {} passwords < {n}",
                    p.reuse_prevention
                )
            },
        );
    }
    if summary.len() == before {
        summary.push("password policy as strict as asked".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::text::Text;
    use crate::outcome::Verdict;

    const REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active\n\
<root_account>,arn:aws:iam::1:root,2020,not_supported,N/A,true\n\
alice,arn:aws:iam::1:user/alice,2020,true,N/A,true\n\
bob,arn:aws:iam::1:user/bob,2020,true,N/A,false\n\
ci,arn:aws:iam::1:user/ci,2020,false,N/A,false\n";

    #[test]
    fn the_credential_report_is_read_by_column_name() {
        let users = parse_report(REPORT).unwrap();
        assert_eq!(users.len(), 4);
        assert_eq!(
            users[2],
            User {
                name: "bob".into(),
                password: true,
                mfa: false
            }
        );
        assert!(
            parse_report("user,arn\nx,y")
                .unwrap_err()
                .contains("password_enabled")
        );
    }

    #[test]
    fn console_users_without_mfa_are_named() {
        let a = Account {
            users: parse_report(REPORT).unwrap(),
            ..Account::default()
        };
        let e = IamExpect {
            console_users_mfa: true,
            root_mfa: true,
            ..IamExpect::default()
        };
        let f = judge(&a, &e);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "root user: no MFA; user bob: console password without MFA"
        );
    }

    #[test]
    fn password_policy_and_roles() {
        let a = Account {
            policy: Some(Policy {
                min_length: 8,
                numbers: true,
                max_age_days: None,
                ..Policy::default()
            }),
            roles: vec!["deploy".into()],
            ..Account::default()
        };
        let e = IamExpect {
            password_policy: Some(PolicyExpect {
                min_length: Some(14),
                require_numbers: true,
                require_symbols: true,
                max_age_days: Some(90),
                ..PolicyExpect::default()
            }),
            roles: vec![Text::literal("deploy"), Text::literal("readonly")],
            ..IamExpect::default()
        };
        let f = judge(&a, &e);
        assert_eq!(
            f.evidence,
            "password policy: minimum length 8 < 14; password policy: symbols not required; \
             password policy: passwords never expire, expected within 90 days; no role `readonly`"
        );
        let none = judge(
            &Account::default(),
            &IamExpect {
                password_policy: Some(PolicyExpect::default()),
                ..IamExpect::default()
            },
        );
        assert_eq!(none.evidence, "no account password policy");
    }
}
