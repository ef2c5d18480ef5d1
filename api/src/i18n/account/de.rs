use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Anmelden"),
    (
        SignInIntro,
        "Bestätigen Sie Ihre E-Mail-Adresse, um Ihren Namen hier zu behalten, Ihre Kommentare auf jedem Gerät zu bearbeiten und Antworten per E-Mail zu erhalten.",
    ),
    (YourEmail, "Ihre E-Mail-Adresse"),
    (SendCode, "Code per E-Mail senden"),
    (Sending, "Wird gesendet…"),
    (
        CodeSentTo,
        "Wir haben einen 6-stelligen Code an {email} gesendet. Er gilt 10 Minuten.",
    ),
    (Code, "Code"),
    (ConfirmCode, "Anmelden"),
    (OtherEmail, "Andere Adresse verwenden"),
    (
        AuthorToggle,
        "Sie schreiben diesen Blog? Melden Sie sich mit Ihrem Passwort an.",
    ),
    (AdminName, "Admin-Name"),
    (Password, "Passwort"),
    (SignInButton, "Anmelden"),
    (SignedInAs, "Angemeldet als {name}"),
    (SignOut, "Abmelden"),
    (SignOutEverywhere, "Auf allen Geräten abmelden"),
    (Close, "Schließen"),
    (
        ErrCode,
        "Dieser Code ist falsch oder abgelaufen. Fordern Sie einen neuen an.",
    ),
    (ErrCredentials, "Name oder Passwort ist falsch."),
    (
        ErrSession,
        "Ihre Sitzung ist abgelaufen. Melden Sie sich erneut an.",
    ),
    (
        ErrSso,
        "Die Anmeldung dieser Website hat nicht funktioniert. Laden Sie die Seite neu.",
    ),
    (
        ConfirmReplies,
        "Um Antworten per E-Mail zu erhalten, geben Sie den an {email} gesendeten Code ein.",
    ),
    (RepliesConfirmed, "Erledigt: Antworten gehen an {email}."),
    (Approve, "Freigeben"),
    (Reject, "Ablehnen"),
    (Spam, "Spam"),
    (Block, "Sperren"),
    (LockThread, "Diskussion schließen"),
    (UnlockThread, "Diskussion wieder öffnen"),
    (Approved, "Freigegeben."),
    (Removed, "Entfernt."),
    (
        BlockedNotice,
        "Gesperrt: Diese Person kann hier nicht mehr kommentieren.",
    ),
    (
        ThreadClosed,
        "Die Diskussion ist für neue Kommentare geschlossen.",
    ),
    (ThreadReopened, "Die Diskussion ist wieder offen."),
    (AddPasskey, "Passkey hinzufügen"),
    (
        PasskeyAdded,
        "Passkey hinzugefügt: Melden Sie sich damit auf jedem Gerät an.",
    ),
    (UsePasskey, "Mit einem Passkey anmelden"),
    (
        ErrPasskey,
        "Der Passkey hat nicht funktioniert. Verwenden Sie stattdessen Ihre E-Mail-Adresse.",
    ),
];
