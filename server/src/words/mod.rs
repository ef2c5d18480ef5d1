//! The server's own words: the admin pages, the pages a reader reaches from an email, and the
//! emails, in every language the widget speaks (`palabre_api::i18n`: the same languages,
//! plural rules and translation test). The admin pages speak the admin's browser language;
//! emails and feeds speak the server's `language` setting.

pub use palabre_api::i18n::fill;
use palabre_api::i18n::{Lang, Texts};

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod it;
mod nl;
mod pl;
mod pt;

palabre_api::messages! {
    /// Every fixed text of the admin pages, the unsubscribe page, the emails, the feeds, and the
    /// first paint's words the widget never draws.
    pub enum Say {
        Admin,
        SkipToContent,
        AdminNav,
        NavQueue,
        NavComments,
        NavThreads,
        NavBlocks,
        NavReaders,
        NavLog,
        SignOut,
        SignIn,
        Name,
        Password,
        BackToAdmin,
        ApproveThisComment,
        DeleteThisComment,
        By,
        OnThread,
        Anonymous,
        StatusPublished,
        StatusPending,
        StatusDeleted,
        StatusSpam,
        Approve,
        Reject,
        MarkSpam,
        Delete,
        BlockEmail,
        BlockReader,
        ActionOnComment,
        NothingHere,
        WithSelected,
        SelectComment,
        ReplyTo,
        Reader,
        Edit,
        Thread,
        Site,
        EverySite,
        UnknownSite,
        Status,
        Any,
        AuthorOrEmail,
        Text,
        Filter,
        Pages,
        Newer,
        Older,
        TextMarkdown,
        Save,
        Cancel,
        NoThreads,
        PublishedCount,
        HeldCount,
        Locked,
        Hidden,
        Lock,
        Unlock,
        Show,
        Hide,
        Kind,
        Email,
        ReaderHash,
        Value,
        Block,
        NobodyBlocked,
        Since,
        Unblock,
        KindEmail,
        KindReader,
        ReadersIntro,
        DownloadData,
        RepliesLegend,
        RepliesStay,
        RepliesRemoved,
        EraseComments,
        NothingLogged,
        QueueTitle,
        CommentsTitle,
        ThreadsTitle,
        BlocksTitle,
        LogTitle,
        ReadersTitle,
        EditTitle,
        ItemsUpdated,
        FormExpiredTitle,
        FormExpired,
        NotFoundTitle,
        NotFound,
        InvalidInput,
        FailedTitle,
        Failed,
        TooManyAttempts,
        SignInExpired,
        WrongPassword,
        SignInPasskey,
        PasskeyFailed,
        UnknownStatus,
        UnknownAction,
        SelectOne,
        InvalidThreadKey,
        UnknownBlockKind,
        GiveEmailOrHash,
        GiveEmail,
        ChooseReplies,
        LinkInvalid,
        NothingToDo,
        ApprovedDone,
        DeletedDone,
        Done,
        UnsubscribeInvalidTitle,
        UnsubscribeInvalid,
        UnsubscribeTitle,
        UnsubscribeExplain,
        Unsubscribe,
        UnsubscribedTitle,
        Unsubscribed,
        MailNewSubject,
        MailHeldSubject,
        MailNewIntro,
        MailHeldIntro,
        MailNoEmail,
        MailApprove,
        MailDelete,
        MailArticle,
        MailAllComments,
        MailSomeone,
        MailReplySubject,
        MailReplyIntro,
        MailReadThread,
        MailWhy,
        MailStop,
        FeedCommentsOn,
        FeedRecent,
        FeedEntryTitle,
        PaintWidgetFailed,
        MailCodeSubject,
        MailCodeIntro,
        MailCodeNote,
        MailCodeLink,
        ConfirmTitle,
        ConfirmExplain,
        ConfirmButton,
        ConfirmedTitle,
        Confirmed,
        ConfirmInvalid,
        NavAccount,
        AccountTitle,
        DisplayNameLabel,
        DisplayNameHelp,
        AccountNotStored,
        SignOutReader,
    }
}

palabre_api::language_tables!(Say);

/// The server's words in `lang`.
pub fn say(lang: Lang) -> Texts<Say> {
    let (_, table) = tables()[lang as usize];
    Texts::new(lang, table)
}

/// The language of a request's `Accept-Language` (the first we have, by the client's order
/// of preference), else `fallback`.
pub fn negotiate(accept_language: &str, fallback: Lang) -> Lang {
    let mut ranked: Vec<(f32, &str)> = accept_language
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0).then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the client's order.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked
        .iter()
        .find_map(|(_, tag)| Lang::from_tag(tag))
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_api::i18n::translation_problems;

    #[test]
    fn every_language_has_every_message() {
        let problems = translation_problems(&tables());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn languages_are_not_english() {
        for (lang, _) in &tables()[1..] {
            assert_ne!(say(*lang).get(Say::SignIn), "Sign in", "{lang:?}");
            assert_ne!(say(*lang).get(Say::MailStop), "Stop:", "{lang:?}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let de = say(Lang::De);
        assert_eq!(
            fill(de.get(Say::MailReplySubject), &[("author", "Ana")]),
            "Ana hat auf Ihren Kommentar geantwortet"
        );
        assert_eq!(de.plural(Say::ItemsUpdated, 3), "3 Einträge aktualisiert.");
        assert_eq!(
            say(Lang::Pl).plural(Say::ItemsUpdated, 5),
            "Zaktualizowano 5 pozycji."
        );
    }

    #[test]
    fn accept_language_picks_the_first_language_we_have() {
        assert_eq!(negotiate("ja, de-DE;q=0.8, en;q=0.5", Lang::En), Lang::De);
        assert_eq!(negotiate("en;q=0.2, fr;q=0.9", Lang::En), Lang::Fr);
        assert_eq!(negotiate("pt-BR,pt;q=0.9", Lang::En), Lang::Pt);
        assert_eq!(negotiate("ja, zh", Lang::Nl), Lang::Nl);
        assert_eq!(negotiate("", Lang::Fr), Lang::Fr);
        assert_eq!(negotiate("de;q=0, *", Lang::En), Lang::En);
        assert_eq!(negotiate("de;q=abc", Lang::En), Lang::En);
    }
}
