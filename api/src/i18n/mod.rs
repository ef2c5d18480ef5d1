//! Words in every language Palabre speaks, with each language's plural rules.
//!
//! Each language is a table of `(key, text)` pairs (`en.rs`, `fr.rs`...); a test fails when one
//! lacks a key another has, or differs from English in its placeholders or plural forms. A
//! plural text holds one form per plural category of its language, separated by `|`, with
//! `{n}` for the number. The server compiles every table in; the widget only English, and
//! fetches another language's words from its server (`GET /api/v1/words/{lang}`), so that a
//! language costs readers of the others nothing.
//!
//! The same machinery serves the server's own words (admin pages, emails): [`messages!`]
//! declares the keys, [`Texts`] resolves one language's table into a list indexed by key.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};

pub mod account;
mod ar;
mod de;
mod en;
mod es;
mod fr;
mod it;
mod nl;
mod pl;
mod pt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    Fr,
    De,
    Es,
    It,
    Pt,
    Nl,
    Pl,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 9] = [
        Lang::En,
        Lang::Fr,
        Lang::De,
        Lang::Es,
        Lang::It,
        Lang::Pt,
        Lang::Nl,
        Lang::Pl,
        Lang::Ar,
    ];

    /// From a BCP 47 tag (`fr`, `fr-CA`, `en_GB`); `None` for languages we don't have.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The first of `tags` (most preferred first) that we have.
    pub fn first_known<S: AsRef<str>>(tags: &[S]) -> Option<Self> {
        tags.iter().find_map(|t| Self::from_tag(t.as_ref()))
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::De => "de",
            Self::Es => "es",
            Self::It => "it",
            Self::Pt => "pt",
            Self::Nl => "nl",
            Self::Pl => "pl",
            Self::Ar => "ar",
        }
    }

    /// The writing direction, for HTML's `dir`.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Ar => "rtl",
            _ => "ltr",
        }
    }

    /// How many plural forms a plural text has in this language.
    pub fn plural_forms(self) -> usize {
        match self {
            Self::Pl => 3,
            Self::Ar => 6,
            _ => 2,
        }
    }

    /// Which of a plural text's forms counts `n` things (CLDR's rules for whole numbers).
    pub fn plural_form(self, n: u64) -> usize {
        let (n10, n100) = (n % 10, n % 100);
        match self {
            Self::En | Self::De | Self::Es | Self::It | Self::Nl => usize::from(n != 1),
            Self::Fr | Self::Pt => usize::from(n > 1),
            Self::Pl if n == 1 => 0,
            Self::Pl if (2..=4).contains(&n10) && !(12..=14).contains(&n100) => 1,
            Self::Pl => 2,
            Self::Ar => match n {
                0 => 0,
                1 => 1,
                2 => 2,
                _ if (3..=10).contains(&n100) => 3,
                _ if (11..=99).contains(&n100) => 4,
                _ => 5,
            },
        }
    }
}

impl Lang {
    /// A tag exactly as a URL gives it: well formed (subtags of 1 to 8 letters or digits
    /// joined by `-` or `_`, at most [`crate::MAX_LANGUAGE_TAG_BYTES`]) and one we have.
    pub fn parse_exact(tag: &str) -> Result<Self, String> {
        let well_formed = tag.len() <= crate::MAX_LANGUAGE_TAG_BYTES
            && tag.split(['-', '_']).all(|sub| {
                (1..=8).contains(&sub.len()) && sub.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err("not a language tag".to_owned());
        }
        tag.parse()
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    /// A language setting: a tag we have, else an error listing those we have.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::from_tag(s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|l| l.tag()).collect();
            format!(
                "unknown language '{s}': Palabre speaks {}",
                known.join(", ")
            )
        })
    }
}

/// A set of message keys: an enum declared with [`messages!`].
pub trait Key: Copy + Eq + 'static {
    const ALL: &'static [Self];
    /// The keys' names, in order: what a translation test reports.
    const NAMES: &'static [&'static str];
    fn index(self) -> usize;
}

/// Declares a set of message keys, with their list, their names, and a version that changes
/// whenever a key is added, removed or moved (`VERSION`).
#[macro_export]
macro_rules! messages {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($key:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($key,)* }

        impl $crate::i18n::Key for $name {
            const ALL: &'static [Self] = &[$(Self::$key,)*];
            const NAMES: &'static [&'static str] = &[$(stringify!($key),)*];
            fn index(self) -> usize {
                self as usize
            }
        }

        impl $name {
            pub const VERSION: u32 = $crate::i18n::fnv1a(
                <Self as $crate::i18n::Key>::NAMES,
            );
        }
    };
}

/// `pub fn tables()`: every language's table of keys `$key`, English first, in `Lang` order,
/// from the modules `en`, `fr`, `de`... in scope, each with its `WORDS`.
#[macro_export]
macro_rules! language_tables {
    ($key:ty) => {
        /// Every language's table, English first, in `Lang` order.
        pub fn tables() -> [($crate::i18n::Lang, $crate::i18n::Table<$key>); 9] {
            use $crate::i18n::Lang;
            [
                (Lang::En, en::WORDS),
                (Lang::Fr, fr::WORDS),
                (Lang::De, de::WORDS),
                (Lang::Es, es::WORDS),
                (Lang::It, it::WORDS),
                (Lang::Pt, pt::WORDS),
                (Lang::Nl, nl::WORDS),
                (Lang::Pl, pl::WORDS),
                (Lang::Ar, ar::WORDS),
            ]
        }
    };
}

/// FNV-1a over names, at compile time (for a key set's version).
pub const fn fnv1a(names: &[&str]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < names.len() {
        let bytes = names[i].as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            hash ^= bytes[j] as u32;
            hash = hash.wrapping_mul(0x0100_0193);
            j += 1;
        }
        hash ^= b',' as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

/// One language's table: every key of `K` with its text.
pub type Table<K> = &'static [(K, &'static str)];

/// One language's texts. Cheap to copy. Its table lists the keys in their order (the
/// translation test checks), so a text is found by its key's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Texts<K: 'static> {
    lang: Lang,
    table: Table<K>,
}

impl<K: Key> Texts<K> {
    pub const fn new(lang: Lang, table: Table<K>) -> Self {
        Self { lang, table }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Texts fetched from the server; `None` unless they are for these keys (`current`: their
    /// version is this build's) and complete.
    pub fn from_list(lang: Lang, current: bool, words: Vec<String>) -> Option<Self> {
        if !current || words.len() != K::ALL.len() {
            return None;
        }
        // Kept for the page's life, like the English compiled in.
        let table = K::ALL
            .iter()
            .zip(words)
            .map(|(k, w)| (*k, &*String::leak(w)))
            .collect();
        Some(Texts::new(lang, Vec::leak(table)))
    }

    // Not inlined: it is called from every view, and one copy keeps the widget smaller.
    #[inline(never)]
    pub fn get(&self, key: K) -> &'static str {
        self.table.get(key.index()).map_or("", |(_, text)| text)
    }

    /// A plural text's form for `n`, with `{n}` filled in.
    pub fn plural(&self, key: K, n: u64) -> String {
        let text = self.get(key);
        let form = text
            .split('|')
            .nth(self.lang.plural_form(n))
            .unwrap_or(text);
        // One `{n}` at most (the translation test checks). Not through `fill`, which the
        // widget would then carry (0.4 KB brotli): a split on a char, and no `str::replace`,
        // whose substring search it would carry too.
        match form.split_once('{') {
            Some((before, after)) => {
                let mut out = before.to_owned();
                out += &n.to_string();
                out += after.strip_prefix("n}").unwrap_or(after);
                out
            }
            None => form.to_owned(),
        }
    }
}

/// `text` with each `{name}` replaced by its value, in one pass: what a value brings (a
/// reader's name holding `{email}`, say) is never replaced in turn. Values go in as they are:
/// the caller escapes them for where they go. The server's; the widget fills only `{n}`
/// ([`Texts::plural`]).
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let hole = rest[start + 1..].split_once('}').and_then(|(name, _)| {
            let (_, value) = values.iter().find(|(n, _)| *n == name)?;
            Some((name.len(), *value))
        });
        match hole {
            Some((len, value)) => {
                out.push_str(value);
                rest = &rest[start + len + 2..];
            }
            None => {
                out.push('{');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn find<K: Key>(table: Table<K>, key: K) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

messages! {
    /// Every fixed text of the widget, the count badges and the first paint.
    pub enum Msg {
        Comments,
        SortLabel,
        SortOldest,
        SortNewest,
        SortTop,
        Loading,
        EmptyThread,
        LoadFailed,
        Unreachable,
        Retry,
        LoadMore,
        Anonymous,
        Reply,
        CancelReply,
        Edit,
        Delete,
        ConfirmDelete,
        Save,
        Cancel,
        Like,
        Dislike,
        Collapse,
        Expand,
        Deleted,
        AwaitingModeration,
        EditedMark,
        FormTitle,
        ReplyTitle,
        Name,
        Email,
        EmailHint,
        Website,
        NotifyReplies,
        Feed,
        Body,
        BodyHint,
        Write,
        Preview,
        PreviewEmpty,
        Post,
        Posting,
        Honeypot,
        Posted,
        PostedPending,
        PostFailedOffline,
        PostFailedServer,
        DraftKept,
        Edited,
        DeletedNotice,
        Optional,
        Required,
        ThreadLocked,
        NewComments,
        NoComments,
        CommentCount,
        JustNow,
        Yesterday,
        MinutesAgo,
        HoursAgo,
        DaysAgo,
        WeeksAgo,
        MonthsAgo,
        YearsAgo,
        ErrBodyEmpty,
        ErrBodyTooLong,
        ErrAuthorRequired,
        ErrAuthorTooLong,
        ErrEmailRequired,
        ErrEmailInvalid,
        ErrWebsiteInvalid,
        ErrParentNotFound,
        ErrRateLimited,
        ErrBlocked,
        ErrTooManyLinks,
        ErrChallenge,
        ErrTooFast,
        ErrEditWindowClosed,
        ErrNotYours,
        ErrCommentNotFound,
        ErrThreadInvalid,
        ErrBadRequest,
        ErrUnavailable,
        ErrInternal,
        RoleAuthor,
        RoleVerified,
        RoleMember,
        ErrNameReserved,
        ErrSignInRequired,
        SignIn,
    }
}

language_tables!(Msg);

/// The widget's words in one language.
pub type Words = Texts<Msg>;

impl Texts<Msg> {
    /// English, the one language compiled into the widget.
    pub const fn english() -> Words {
        Texts::new(Lang::En, en::WORDS)
    }

    /// Any language, from the tables compiled in (the server; the widget would carry them all).
    pub fn builtin(lang: Lang) -> Words {
        let (_, table) = tables()[lang as usize];
        Texts::new(lang, table)
    }

    /// Words fetched from the server for `lang`; `None` when they are not for this widget's
    /// keys (a server of another version).
    pub fn fetched(lang: Lang, version: u32, words: Vec<String>) -> Option<Words> {
        Texts::from_list(lang, version == Msg::VERSION, words)
    }

    pub fn to_list(&self) -> WordList {
        WordList {
            lang: self.lang.tag().to_owned(),
            dir: self.lang.dir().to_owned(),
            version: Msg::VERSION,
            words: Msg::ALL.iter().map(|k| self.get(*k).to_owned()).collect(),
        }
    }

    /// "3 comments", "1 commentaire", "No comments".
    pub fn comment_count(&self, n: u64) -> String {
        if n == 0 {
            self.get(Msg::NoComments).to_owned()
        } else {
            self.plural(Msg::CommentCount, n)
        }
    }

    /// The reader-facing text of an error code from the server (or from local validation).
    pub fn error(&self, code: ErrorCode) -> &'static str {
        use ErrorCode::*;
        self.get(match code {
            BodyEmpty => Msg::ErrBodyEmpty,
            BodyTooLong | PayloadTooLarge => Msg::ErrBodyTooLong,
            AuthorRequired => Msg::ErrAuthorRequired,
            AuthorTooLong => Msg::ErrAuthorTooLong,
            EmailRequired => Msg::ErrEmailRequired,
            EmailInvalid => Msg::ErrEmailInvalid,
            WebsiteInvalid => Msg::ErrWebsiteInvalid,
            ParentNotFound => Msg::ErrParentNotFound,
            ThreadLocked => Msg::ThreadLocked,
            RateLimited => Msg::ErrRateLimited,
            Blocked => Msg::ErrBlocked,
            TooManyLinks => Msg::ErrTooManyLinks,
            ChallengeRequired | ChallengeInvalid => Msg::ErrChallenge,
            TooFast => Msg::ErrTooFast,
            EditWindowClosed => Msg::ErrEditWindowClosed,
            TokenMissing | TokenInvalid => Msg::ErrNotYours,
            CommentDeleted => Msg::Deleted,
            CommentNotFound => Msg::ErrCommentNotFound,
            ThreadInvalid => Msg::ErrThreadInvalid,
            MalformedJson | InvalidField | InvalidParameter | InvalidCursor
            | UnsupportedMediaType | VoteInvalid | TooManyThreads | NotFound | MethodNotAllowed
            | UnknownSite => Msg::ErrBadRequest,
            NameReserved => Msg::ErrNameReserved,
            SignInRequired => Msg::ErrSignInRequired,
            // Only the sign-in forms meet these; they carry their own words.
            CodeInvalid | SessionInvalid | SsoInvalid | CredentialsInvalid | ModeratorOnly
            | PasskeyInvalid => Msg::ErrBadRequest,
            Unavailable => Msg::ErrUnavailable,
            Internal => Msg::ErrInternal,
        })
    }

    /// The mark of a comment by `role` (none for a guest).
    pub fn role_mark(&self, role: crate::Role) -> Option<&'static str> {
        match role {
            crate::Role::Guest => None,
            // Its name links to its writer's profile; no mark.
            #[cfg(not(target_arch = "wasm32"))]
            crate::Role::Fediverse => None,
            crate::Role::Verified => Some(self.get(Msg::RoleVerified)),
            crate::Role::Member => Some(self.get(Msg::RoleMember)),
            crate::Role::Author => Some(self.get(Msg::RoleAuthor)),
        }
    }

    /// "just now", "5 minutes ago", "yesterday", "3 weeks ago"... Times in the future (a
    /// fast server clock) read as "just now".
    pub fn relative_time(&self, now_ms: i64, then_ms: i64) -> String {
        const MINUTE: i64 = 60_000;
        const HOUR: i64 = 60 * MINUTE;
        const DAY: i64 = 24 * HOUR;
        let ago = (now_ms - then_ms).max(0);
        let (n, key) = match ago {
            a if a < MINUTE => return self.get(Msg::JustNow).to_owned(),
            a if a < HOUR => (a / MINUTE, Msg::MinutesAgo),
            a if a < DAY => (a / HOUR, Msg::HoursAgo),
            a if a < 2 * DAY => return self.get(Msg::Yesterday).to_owned(),
            a if a < 7 * DAY => (a / DAY, Msg::DaysAgo),
            a if a < 30 * DAY => (a / (7 * DAY), Msg::WeeksAgo),
            a if a < 365 * DAY => (a / (30 * DAY), Msg::MonthsAgo),
            a => (a / (365 * DAY), Msg::YearsAgo),
        };
        self.plural(key, n as u64)
    }
}

/// One language's words as the server sends them to the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordList {
    /// The language's tag (`de`).
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// The key set's version ([`Msg::VERSION`]): words for other keys are not used.
    pub version: u32,
    /// The texts in key order.
    pub words: Vec<String>,
}

/// What is wrong with one language's table, measured against English's: a missing or
/// repeated key, an empty text, other placeholders, the wrong number of plural forms.
pub fn table_problems<K: Key>(lang: Lang, table: Table<K>, english: Table<K>) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, key) in K::ALL.iter().enumerate() {
        let name = K::NAMES[i];
        let found: Vec<&str> = table
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, t)| *t)
            .collect();
        let [text] = found[..] else {
            problems.push(format!(
                "{}: {name} given {} times",
                lang.tag(),
                found.len()
            ));
            continue;
        };
        if table.get(i).map(|(k, _)| k) != Some(key) {
            problems.push(format!("{}: {name} is not in the keys' order", lang.tag()));
        }
        let Some(en) = find(english, *key) else {
            continue;
        };
        if text.trim().is_empty() {
            problems.push(format!("{}: {name} is empty", lang.tag()));
        }
        let forms: Vec<&str> = text.split('|').collect();
        let plural = en.contains('|');
        let wanted = if plural { lang.plural_forms() } else { 1 };
        if forms.len() != wanted {
            problems.push(format!(
                "{}: {name} has {} forms, not {wanted}",
                lang.tag(),
                forms.len()
            ));
        }
        let en_holes = placeholders(en.split('|').next().unwrap_or(en));
        for form in forms {
            let holes = placeholders(form);
            // A plural form may leave out the number ("hier", "an hour ago" style).
            let fits = if plural {
                holes.iter().all(|h| en_holes.contains(h))
            } else {
                holes == en_holes
            };
            if !fits {
                problems.push(format!(
                    "{}: {name} has placeholders {holes:?}, English {en_holes:?}",
                    lang.tag()
                ));
            }
        }
    }
    problems
}

/// What is wrong with every language's table (see [`table_problems`]), English first.
pub fn translation_problems<K: Key>(tables: &[(Lang, Table<K>)]) -> Vec<String> {
    let Some((_, english)) = tables.first() else {
        return vec!["no tables".into()];
    };
    tables
        .iter()
        .flat_map(|(lang, table)| table_problems(*lang, table, english))
        .collect()
}

/// The `{name}`s of a text, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut holes: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    holes.sort_unstable();
    holes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert_eq!(Lang::from_tag("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_tag("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::from_tag("ar-EG"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("ja"), None);
        assert_eq!(Lang::from_tag(""), None);
        assert!(
            "xx".parse::<Lang>()
                .unwrap_err()
                .contains("en, fr, de, es, it, pt, nl, pl, ar")
        );
    }

    #[test]
    fn the_first_known_language_of_a_list_wins() {
        assert_eq!(
            Lang::first_known(&["ja", "", "fr-FR", "en"]),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::first_known(&["en-US", "fr"]), Some(Lang::En));
        assert_eq!(Lang::first_known(&["ja", "zh"]), None);
        assert_eq!(Lang::first_known::<&str>(&[]), None);
    }

    #[test]
    fn every_language_has_every_message() {
        let problems = translation_problems(&tables());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn the_check_finds_what_a_language_lacks() {
        type Change = dyn Fn(&mut Vec<(Msg, &'static str)>);
        let check = |change: &Change| {
            let mut table = pl::WORDS.to_vec();
            change(&mut table);
            table_problems(Lang::Pl, Vec::leak(table), en::WORDS)
        };
        let set = |key: Msg, text: &'static str| {
            move |t: &mut Vec<(Msg, &'static str)>| t[key as usize].1 = text
        };
        assert_eq!(check(&|_| ()), Vec::<String>::new());
        let missing = check(&|t| t.retain(|(k, _)| *k != Msg::Reply));
        assert_eq!(missing[0], "pl: Reply given 0 times");
        assert_eq!(
            check(&|t| t.swap(0, 1)),
            [
                "pl: Comments is not in the keys' order",
                "pl: SortLabel is not in the keys' order"
            ]
        );
        assert_eq!(
            check(&set(Msg::CommentCount, "{n} komentarz|{n} komentarzy")),
            ["pl: CommentCount has 2 forms, not 3"]
        );
        assert_eq!(
            check(&set(Msg::Reply, "Odpowiedz {x}")),
            [r#"pl: Reply has placeholders ["x"], English []"#]
        );
        assert_eq!(check(&set(Msg::Retry, " ")), ["pl: Retry is empty"]);
    }

    #[test]
    fn every_error_code_has_a_message_in_every_language() {
        for lang in Lang::ALL {
            let words = Words::builtin(lang);
            for code in ErrorCode::ALL {
                assert!(!words.error(*code).is_empty(), "{lang:?} {code}");
            }
        }
        assert_ne!(
            Words::builtin(Lang::En).error(ErrorCode::BodyTooLong),
            Words::builtin(Lang::De).error(ErrorCode::BodyTooLong)
        );
    }

    #[test]
    fn languages_are_not_english() {
        let reply = |l| Words::builtin(l).get(Msg::Reply);
        assert_eq!(reply(Lang::En), "Reply");
        assert_eq!(reply(Lang::Fr), "Répondre");
        assert_eq!(reply(Lang::De), "Antworten");
        for lang in &Lang::ALL[1..] {
            assert_ne!(reply(*lang), "Reply", "{lang:?}");
        }
    }

    #[test]
    fn plural_rules() {
        let count = |l, n| Words::builtin(l).comment_count(n);
        assert_eq!(count(Lang::En, 0), "No comments");
        assert_eq!(count(Lang::En, 1), "1 comment");
        assert_eq!(count(Lang::Fr, 2), "2 commentaires");
        assert_eq!(count(Lang::Pl, 1), "1 komentarz");
        assert_eq!(count(Lang::Pl, 3), "3 komentarze");
        assert_eq!(count(Lang::Pl, 5), "5 komentarzy");
        assert_eq!(count(Lang::Pl, 12), "12 komentarzy");
        assert_eq!(count(Lang::Pl, 22), "22 komentarze");
        assert_eq!(count(Lang::De, 1), "1 Kommentar");
        assert_eq!(count(Lang::De, 7), "7 Kommentare");
        let forms = |l: Lang| [1, 2, 3, 11, 100].map(|n| l.plural_form(n));
        assert_eq!(forms(Lang::Ar), [1, 2, 3, 4, 5]);
        assert_eq!(forms(Lang::Pt), [0, 1, 1, 1, 1]);
        assert_eq!(Lang::Fr.plural_form(0), 0);
        assert_eq!(Lang::En.plural_form(0), 1);
    }

    #[test]
    fn relative_times() {
        const MINUTE: i64 = 60_000;
        const HOUR: i64 = 60 * MINUTE;
        const DAY: i64 = 24 * HOUR;
        let now = 1_795_878_531_000;
        let cases = [
            (0, "just now", "à l’instant"),
            (-5_000, "just now", "à l’instant"),
            (59_000, "just now", "à l’instant"),
            (60_000, "1 minute ago", "il y a 1 minute"),
            (5 * MINUTE, "5 minutes ago", "il y a 5 minutes"),
            (3 * HOUR, "3 hours ago", "il y a 3 heures"),
            (30 * HOUR, "yesterday", "hier"),
            (3 * DAY, "3 days ago", "il y a 3 jours"),
            (15 * DAY, "2 weeks ago", "il y a 2 semaines"),
            (60 * DAY, "2 months ago", "il y a 2 mois"),
            (400 * DAY, "1 year ago", "il y a 1 an"),
            (800 * DAY, "2 years ago", "il y a 2 ans"),
        ];
        let (en, fr) = (Words::builtin(Lang::En), Words::builtin(Lang::Fr));
        for (ago, in_en, in_fr) in cases {
            assert_eq!(en.relative_time(now, now - ago), in_en, "{ago}");
            assert_eq!(fr.relative_time(now, now - ago), in_fr, "{ago}");
        }
        let pl = Words::builtin(Lang::Pl);
        assert_eq!(pl.relative_time(now, now - 5 * MINUTE), "5 minut temu");
        assert_eq!(pl.relative_time(now, now - 2 * MINUTE), "2 minuty temu");
    }

    #[test]
    fn what_a_value_brings_is_not_filled_in_turn() {
        let text = fill(
            "{author} <{email}> on {place}: {unknown}",
            &[("author", "{email}"), ("email", "a@b.c"), ("place", "/p")],
        );
        assert_eq!(text, "{email} <a@b.c> on /p: {unknown}");
    }

    #[test]
    fn exact_tags() {
        assert_eq!(Lang::parse_exact("pt-BR"), Ok(Lang::Pt));
        assert_eq!(Lang::parse_exact("DE"), Ok(Lang::De));
        for bad in [" de", "de-", "de-toolongsubtag", &"d".repeat(36)] {
            assert_eq!(
                Lang::parse_exact(bad),
                Err("not a language tag".into()),
                "{bad:?}"
            );
        }
        assert!(
            Lang::parse_exact("xx")
                .unwrap_err()
                .contains("Palabre speaks")
        );
    }

    #[test]
    fn fetched_words_must_match_the_keys() {
        let list = Words::builtin(Lang::De).to_list();
        assert_eq!((list.lang.as_str(), list.dir.as_str()), ("de", "ltr"));
        let words = Words::fetched(Lang::De, list.version, list.words.clone()).expect("same keys");
        assert_eq!(words.get(Msg::Reply), "Antworten");
        assert_eq!(words.lang(), Lang::De);
        assert_eq!(
            Words::fetched(Lang::De, list.version ^ 1, list.words.clone()),
            None
        );
        assert_eq!(
            Words::fetched(Lang::De, list.version, list.words[1..].to_vec()),
            None
        );
        assert_eq!(Words::builtin(Lang::Ar).to_list().dir, "rtl");
    }
}
