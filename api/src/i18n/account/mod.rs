//! The words of the widget's account panel and of moderation in place. A set of their own,
//! fetched with those chunks (`GET /api/v1/words/{lang}/account`), English included: readers
//! who never sign in download none of them.

use super::{Lang, Texts, WordList};

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod it;
mod nl;
mod pl;
mod pt;

crate::messages! {
    pub enum Account {
        SignInTitle,
        SignInIntro,
        YourEmail,
        SendCode,
        Sending,
        CodeSentTo,
        Code,
        ConfirmCode,
        OtherEmail,
        AuthorToggle,
        AdminName,
        Password,
        SignInButton,
        SignedInAs,
        SignOut,
        SignOutEverywhere,
        Close,
        ErrCode,
        ErrCredentials,
        ErrSession,
        ErrSso,
        ConfirmReplies,
        RepliesConfirmed,
        Approve,
        Reject,
        Spam,
        Block,
        LockThread,
        UnlockThread,
        Approved,
        Removed,
        BlockedNotice,
        ThreadClosed,
        ThreadReopened,
        AddPasskey,
        PasskeyAdded,
        UsePasskey,
        ErrPasskey,
    }
}

crate::language_tables!(Account);

pub type AccountWords = Texts<Account>;

impl Texts<Account> {
    pub fn builtin(lang: Lang) -> AccountWords {
        let (_, table) = tables()[lang as usize];
        Texts::new(lang, table)
    }

    pub fn to_list(&self) -> WordList {
        WordList {
            lang: self.lang().tag().to_owned(),
            dir: self.lang().dir().to_owned(),
            version: Account::VERSION,
            words: <Account as super::Key>::ALL
                .iter()
                .map(|k| self.get(*k).to_owned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_account_word() {
        let problems = super::super::translation_problems(&tables());
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
