use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Zaloguj się"),
    (
        SignInIntro,
        "Potwierdź swój e-mail, aby zachować tu swoje imię, edytować komentarze na każdym urządzeniu i dostawać odpowiedzi e-mailem.",
    ),
    (YourEmail, "Twój e-mail"),
    (SendCode, "Wyślij mi kod"),
    (Sending, "Wysyłanie…"),
    (
        CodeSentTo,
        "Wysłaliśmy 6-cyfrowy kod na adres {email}. Jest ważny przez 10 minut.",
    ),
    (Code, "Kod"),
    (ConfirmCode, "Zaloguj się"),
    (OtherEmail, "Użyj innego adresu"),
    (AuthorToggle, "Piszesz tego bloga? Zaloguj się hasłem."),
    (AdminName, "Nazwa administratora"),
    (Password, "Hasło"),
    (SignInButton, "Zaloguj się"),
    (SignedInAs, "Zalogowano jako {name}"),
    (SignOut, "Wyloguj się"),
    (SignOutEverywhere, "Wyloguj się na wszystkich urządzeniach"),
    (Close, "Zamknij"),
    (ErrCode, "Ten kod jest błędny lub wygasł. Poproś o nowy."),
    (ErrCredentials, "Nazwa lub hasło są błędne."),
    (ErrSession, "Twoja sesja wygasła. Zaloguj się ponownie."),
    (
        ErrSso,
        "Logowanie tej witryny nie zadziałało. Odśwież stronę.",
    ),
    (
        ConfirmReplies,
        "Aby dostawać odpowiedzi e-mailem, wpisz kod wysłany na adres {email}.",
    ),
    (
        RepliesConfirmed,
        "Gotowe: odpowiedzi będą przychodzić na {email}.",
    ),
    (Approve, "Zatwierdź"),
    (Reject, "Odrzuć"),
    (Spam, "Spam"),
    (Block, "Zablokuj"),
    (LockThread, "Zamknij dyskusję"),
    (UnlockThread, "Otwórz ponownie dyskusję"),
    (Approved, "Zatwierdzono."),
    (Removed, "Usunięto."),
    (
        BlockedNotice,
        "Zablokowano: ta osoba nie może już tu komentować.",
    ),
    (
        ThreadClosed,
        "Dyskusja jest zamknięta dla nowych komentarzy.",
    ),
    (ThreadReopened, "Dyskusja jest znowu otwarta."),
    (AddPasskey, "Dodaj klucz dostępu"),
    (
        PasskeyAdded,
        "Dodano klucz dostępu: loguj się nim na każdym urządzeniu.",
    ),
    (UsePasskey, "Zaloguj się kluczem dostępu"),
    (
        ErrPasskey,
        "Klucz dostępu nie zadziałał. Użyj zamiast tego swojego e-maila.",
    ),
];
