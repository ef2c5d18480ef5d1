//! The widget's words in English and French. Every message is a `match` arm per language, so a
//! missing translation does not compile. Other languages fall back to English.

use crate::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// From a BCP 47 tag (`fr`, `fr-CA`, `en_GB`); `None` for languages we don't have.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }

    /// The first of `tags` (most preferred first) that we have.
    pub fn first_known<S: AsRef<str>>(tags: &[S]) -> Option<Self> {
        tags.iter().find_map(|t| Self::from_tag(t.as_ref()))
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }
}

/// Every fixed text of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

pub fn t(lang: Lang, msg: Msg) -> &'static str {
    use Msg::*;
    match lang {
        Lang::En => match msg {
            Comments => "Comments",
            SortLabel => "Sort by",
            SortOldest => "Oldest first",
            SortNewest => "Newest first",
            SortTop => "Best first",
            Loading => "Loading comments…",
            EmptyThread => "No comments yet. Be the first to share your thoughts!",
            LoadFailed => "The comments could not be loaded.",
            Unreachable => "The comment server cannot be reached right now.",
            Retry => "Retry",
            LoadMore => "Load more comments",
            Anonymous => "Anonymous",
            Reply => "Reply",
            CancelReply => "Cancel reply",
            Edit => "Edit",
            Delete => "Delete",
            ConfirmDelete => "Delete this comment? This cannot be undone.",
            Save => "Save",
            Cancel => "Cancel",
            Like => "Like",
            Dislike => "Dislike",
            Collapse => "Hide replies",
            Expand => "Show replies",
            Deleted => "This comment was deleted.",
            AwaitingModeration => "Awaiting moderation: only you can see this comment.",
            EditedMark => "edited",
            FormTitle => "Leave a comment",
            ReplyTitle => "Your reply",
            Name => "Name",
            Email => "Email",
            EmailHint => "Never shown to anyone.",
            Website => "Website",
            NotifyReplies => "Email me replies to this comment",
            Feed => "Comments feed",
            Body => "Comment",
            BodyHint => "Markdown: *italic*, **bold**, `code`, [link](https://…), > quote.",
            Write => "Write",
            Preview => "Preview",
            PreviewEmpty => "Nothing to preview yet.",
            Post => "Post comment",
            Posting => "Posting…",
            Honeypot => "Leave this field empty",
            Posted => "Your comment was posted.",
            PostedPending => "Your comment was received and awaits moderation.",
            PostFailedOffline => {
                "Your comment could not be sent: the comment server cannot be reached. Your text is kept here; retry when you are back online."
            }
            PostFailedServer => {
                "Your comment could not be sent because of a server problem. Your text is kept here; please retry."
            }
            DraftKept => "Your draft is saved in this browser.",
            Edited => "Your comment was updated.",
            DeletedNotice => "Your comment was deleted.",
            Optional => "optional",
            Required => "required",
            ThreadLocked => "This thread is closed to new comments.",
        },
        Lang::Fr => match msg {
            Comments => "Commentaires",
            SortLabel => "Trier par",
            SortOldest => "Plus anciens d’abord",
            SortNewest => "Plus récents d’abord",
            SortTop => "Meilleurs d’abord",
            Loading => "Chargement des commentaires…",
            EmptyThread => "Aucun commentaire pour l’instant. Soyez le premier à réagir !",
            LoadFailed => "Les commentaires n’ont pas pu être chargés.",
            Unreachable => "Le serveur de commentaires est injoignable pour le moment.",
            Retry => "Réessayer",
            LoadMore => "Afficher plus de commentaires",
            Anonymous => "Anonyme",
            Reply => "Répondre",
            CancelReply => "Annuler la réponse",
            Edit => "Modifier",
            Delete => "Supprimer",
            ConfirmDelete => "Supprimer ce commentaire ? C’est définitif.",
            Save => "Enregistrer",
            Cancel => "Annuler",
            Like => "J’aime",
            Dislike => "Je n’aime pas",
            Collapse => "Masquer les réponses",
            Expand => "Afficher les réponses",
            Deleted => "Ce commentaire a été supprimé.",
            AwaitingModeration => "En attente de modération : vous seul voyez ce commentaire.",
            EditedMark => "modifié",
            FormTitle => "Laisser un commentaire",
            ReplyTitle => "Votre réponse",
            Name => "Nom",
            Email => "E-mail",
            EmailHint => "Jamais affiché.",
            Website => "Site web",
            NotifyReplies => "Me prévenir par e-mail des réponses",
            Feed => "Flux des commentaires",
            Body => "Commentaire",
            BodyHint => "Markdown : *italique*, **gras**, `code`, [lien](https://…), > citation.",
            Write => "Écrire",
            Preview => "Aperçu",
            PreviewEmpty => "Rien à prévisualiser pour l’instant.",
            Post => "Publier",
            Posting => "Envoi…",
            Honeypot => "Laissez ce champ vide",
            Posted => "Votre commentaire a été publié.",
            PostedPending => "Votre commentaire a été reçu et attend la modération.",
            PostFailedOffline => {
                "Votre commentaire n’a pas pu être envoyé : le serveur de commentaires est injoignable. Votre texte est conservé ici ; réessayez une fois la connexion revenue."
            }
            PostFailedServer => {
                "Votre commentaire n’a pas pu être envoyé à cause d’un problème du serveur. Votre texte est conservé ici ; veuillez réessayer."
            }
            DraftKept => "Votre brouillon est enregistré dans ce navigateur.",
            Edited => "Votre commentaire a été modifié.",
            DeletedNotice => "Votre commentaire a été supprimé.",
            Optional => "facultatif",
            Required => "obligatoire",
            ThreadLocked => "Cette discussion est fermée aux nouveaux commentaires.",
        },
    }
}

/// "3 comments", "1 commentaire", "Aucun commentaire".
pub fn comment_count(lang: Lang, n: u64) -> String {
    match (lang, n) {
        (Lang::En, 0) => "No comments".into(),
        (Lang::En, 1) => "1 comment".into(),
        (Lang::En, n) => format!("{n} comments"),
        (Lang::Fr, 0) => "Aucun commentaire".into(),
        (Lang::Fr, 1) => "1 commentaire".into(),
        (Lang::Fr, n) => format!("{n} commentaires"),
    }
}

/// The reader-facing text of an error code from the server (or from local validation).
pub fn error_message(lang: Lang, code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match lang {
        Lang::En => match code {
            BodyEmpty => "Please write something first.",
            BodyTooLong => "Your comment is too long.",
            AuthorRequired => "Please enter your name.",
            AuthorTooLong => "This name is too long.",
            EmailRequired => "Please enter your email address.",
            EmailInvalid => "This email address does not look right.",
            WebsiteInvalid => "The website must be an http:// or https:// address.",
            ParentNotFound => "The comment you are replying to no longer exists.",
            ThreadLocked => "This thread is closed to new comments.",
            RateLimited => "You are posting too fast. Please wait a moment and retry.",
            Blocked => "This site does not accept comments from you.",
            TooManyLinks => "Your comment has too many links for this site.",
            ChallengeRequired | ChallengeInvalid => {
                "Your browser's anti-spam check failed. Please post again."
            }
            TooFast => "That was quick! Please wait a few seconds, then post again.",
            EditWindowClosed => "The time to edit or delete this comment is over.",
            TokenMissing | TokenInvalid => "You can only change your own comments.",
            CommentDeleted => "This comment was deleted.",
            CommentNotFound => "This comment no longer exists.",
            PayloadTooLarge => "Your comment is too long.",
            ThreadInvalid => "This page cannot have comments (invalid thread).",
            MalformedJson | InvalidField | InvalidParameter | InvalidCursor
            | UnsupportedMediaType | VoteInvalid | TooManyThreads | NotFound | MethodNotAllowed => {
                "The widget sent a request the server did not understand."
            }
            Unavailable => {
                "The comment server is briefly unavailable. Your text is kept: retry in a moment."
            }
            Internal => "The server had a problem. Please retry.",
        },
        Lang::Fr => match code {
            BodyEmpty => "Écrivez d’abord quelque chose.",
            BodyTooLong => "Votre commentaire est trop long.",
            AuthorRequired => "Veuillez indiquer votre nom.",
            AuthorTooLong => "Ce nom est trop long.",
            EmailRequired => "Veuillez indiquer votre adresse e-mail.",
            EmailInvalid => "Cette adresse e-mail semble incorrecte.",
            WebsiteInvalid => "Le site web doit être une adresse http:// ou https://.",
            ParentNotFound => "Le commentaire auquel vous répondez n’existe plus.",
            ThreadLocked => "Cette discussion est fermée aux nouveaux commentaires.",
            RateLimited => "Vous publiez trop vite. Patientez un instant puis réessayez.",
            Blocked => "Ce site n’accepte pas vos commentaires.",
            TooManyLinks => "Votre commentaire contient trop de liens pour ce site.",
            ChallengeRequired | ChallengeInvalid => {
                "La vérification anti-spam de votre navigateur a échoué. Publiez à nouveau."
            }
            TooFast => "Quelle rapidité ! Patientez quelques secondes puis publiez à nouveau.",
            EditWindowClosed => "Le délai pour modifier ou supprimer ce commentaire est dépassé.",
            TokenMissing | TokenInvalid => "Vous ne pouvez modifier que vos propres commentaires.",
            CommentDeleted => "Ce commentaire a été supprimé.",
            CommentNotFound => "Ce commentaire n’existe plus.",
            PayloadTooLarge => "Votre commentaire est trop long.",
            ThreadInvalid => "Cette page ne peut pas recevoir de commentaires (fil invalide).",
            MalformedJson | InvalidField | InvalidParameter | InvalidCursor
            | UnsupportedMediaType | VoteInvalid | TooManyThreads | NotFound | MethodNotAllowed => {
                "Le widget a envoyé une requête que le serveur n’a pas comprise."
            }
            Unavailable => {
                "Le serveur de commentaires est momentanément indisponible. Votre texte est conservé : réessayez dans un instant."
            }
            Internal => "Le serveur a rencontré un problème. Veuillez réessayer.",
        },
    }
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// "just now", "5 minutes ago", "yesterday", "3 weeks ago"... in the reader's language.
/// Times in the future (a fast server clock) read as "just now".
pub fn relative_time(lang: Lang, now_ms: i64, then_ms: i64) -> String {
    let ago = (now_ms - then_ms).max(0);
    let (n, unit) = match ago {
        a if a < MINUTE => return just_now(lang).to_owned(),
        a if a < HOUR => (a / MINUTE, Unit::Minute),
        a if a < DAY => (a / HOUR, Unit::Hour),
        a if a < 2 * DAY => return yesterday(lang).to_owned(),
        a if a < 7 * DAY => (a / DAY, Unit::Day),
        a if a < 30 * DAY => (a / (7 * DAY), Unit::Week),
        a if a < 365 * DAY => (a / (30 * DAY), Unit::Month),
        a => (a / (365 * DAY), Unit::Year),
    };
    let word = unit.word(lang, n);
    match lang {
        Lang::En => format!("{n} {word} ago"),
        Lang::Fr => format!("il y a {n} {word}"),
    }
}

fn just_now(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "just now",
        Lang::Fr => "à l’instant",
    }
}

fn yesterday(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "yesterday",
        Lang::Fr => "hier",
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    fn word(self, lang: Lang, n: i64) -> &'static str {
        let one = n == 1;
        match (lang, self, one) {
            (Lang::En, Unit::Minute, true) => "minute",
            (Lang::En, Unit::Minute, false) => "minutes",
            (Lang::En, Unit::Hour, true) => "hour",
            (Lang::En, Unit::Hour, false) => "hours",
            (Lang::En, Unit::Day, true) => "day",
            (Lang::En, Unit::Day, false) => "days",
            (Lang::En, Unit::Week, true) => "week",
            (Lang::En, Unit::Week, false) => "weeks",
            (Lang::En, Unit::Month, true) => "month",
            (Lang::En, Unit::Month, false) => "months",
            (Lang::En, Unit::Year, true) => "year",
            (Lang::En, Unit::Year, false) => "years",
            (Lang::Fr, Unit::Minute, true) => "minute",
            (Lang::Fr, Unit::Minute, false) => "minutes",
            (Lang::Fr, Unit::Hour, true) => "heure",
            (Lang::Fr, Unit::Hour, false) => "heures",
            (Lang::Fr, Unit::Day, true) => "jour",
            (Lang::Fr, Unit::Day, false) => "jours",
            (Lang::Fr, Unit::Week, true) => "semaine",
            (Lang::Fr, Unit::Week, false) => "semaines",
            (Lang::Fr, Unit::Month, _) => "mois",
            (Lang::Fr, Unit::Year, true) => "an",
            (Lang::Fr, Unit::Year, false) => "ans",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert_eq!(Lang::from_tag("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn the_first_known_language_of_a_list_wins() {
        assert_eq!(
            Lang::first_known(&["de", "", "fr-FR", "en"]),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::first_known(&["en-US", "fr"]), Some(Lang::En));
        assert_eq!(Lang::first_known(&["de", "es"]), None);
        assert_eq!(Lang::first_known::<&str>(&[]), None);
    }

    #[test]
    fn every_error_code_has_a_message_in_every_language() {
        for lang in [Lang::En, Lang::Fr] {
            for code in ErrorCode::ALL {
                assert!(!error_message(lang, *code).is_empty(), "{lang:?} {code}");
            }
        }
        assert_ne!(
            error_message(Lang::En, ErrorCode::BodyTooLong),
            error_message(Lang::Fr, ErrorCode::BodyTooLong)
        );
    }

    #[test]
    fn french_is_not_english() {
        assert_eq!(t(Lang::Fr, Msg::Reply), "Répondre");
        assert_eq!(t(Lang::En, Msg::Reply), "Reply");
    }

    #[test]
    fn counts() {
        assert_eq!(comment_count(Lang::En, 0), "No comments");
        assert_eq!(comment_count(Lang::En, 1), "1 comment");
        assert_eq!(comment_count(Lang::Fr, 2), "2 commentaires");
    }

    #[test]
    fn relative_times() {
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
        for (ago, en, fr) in cases {
            assert_eq!(relative_time(Lang::En, now, now - ago), en, "{ago}");
            assert_eq!(relative_time(Lang::Fr, now, now - ago), fr, "{ago}");
        }
    }
}
