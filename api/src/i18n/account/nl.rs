use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Inloggen"),
    (
        SignInIntro,
        "Bevestig je e-mailadres om je naam hier te houden, je reacties op elk apparaat te bewerken en antwoorden per e-mail te krijgen.",
    ),
    (YourEmail, "Je e-mailadres"),
    (SendCode, "Stuur me een code"),
    (Sending, "Versturen…"),
    (
        CodeSentTo,
        "We hebben een code van 6 cijfers naar {email} gestuurd. Hij is 10 minuten geldig.",
    ),
    (Code, "Code"),
    (ConfirmCode, "Inloggen"),
    (OtherEmail, "Een ander adres gebruiken"),
    (
        AuthorToggle,
        "Schrijf je deze blog? Log in met je wachtwoord.",
    ),
    (AdminName, "Beheerdersnaam"),
    (Password, "Wachtwoord"),
    (SignInButton, "Inloggen"),
    (SignedInAs, "Ingelogd als {name}"),
    (SignOut, "Uitloggen"),
    (SignOutEverywhere, "Op alle apparaten uitloggen"),
    (Close, "Sluiten"),
    (
        ErrCode,
        "Deze code is onjuist of verlopen. Vraag een nieuwe aan.",
    ),
    (ErrCredentials, "De naam of het wachtwoord is onjuist."),
    (ErrSession, "Je sessie is beëindigd. Log opnieuw in."),
    (
        ErrSso,
        "Het inloggen van deze site werkte niet. Laad de pagina opnieuw.",
    ),
    (
        ConfirmReplies,
        "Typ de code die naar {email} is gestuurd om antwoorden per e-mail te krijgen.",
    ),
    (RepliesConfirmed, "Klaar: antwoorden gaan naar {email}."),
    (Approve, "Goedkeuren"),
    (Reject, "Afwijzen"),
    (Spam, "Spam"),
    (Block, "Blokkeren"),
    (LockThread, "Discussie sluiten"),
    (UnlockThread, "Discussie heropenen"),
    (Approved, "Goedgekeurd."),
    (Removed, "Verwijderd."),
    (
        BlockedNotice,
        "Geblokkeerd: deze persoon kan hier niet meer reageren.",
    ),
    (
        ThreadClosed,
        "De discussie is gesloten voor nieuwe reacties.",
    ),
    (ThreadReopened, "De discussie is weer open."),
    (AddPasskey, "Een passkey toevoegen"),
    (
        PasskeyAdded,
        "Passkey toegevoegd: log er op elk apparaat mee in.",
    ),
    (UsePasskey, "Inloggen met een passkey"),
    (
        ErrPasskey,
        "De passkey werkte niet. Gebruik in plaats daarvan je e-mailadres.",
    ),
];
