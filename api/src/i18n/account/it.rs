use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Accedi"),
    (
        SignInIntro,
        "Conferma la tua email per tenere il tuo nome qui, modificare i tuoi commenti da qualsiasi dispositivo e ricevere le risposte via email.",
    ),
    (YourEmail, "La tua email"),
    (SendCode, "Inviami un codice"),
    (Sending, "Invio…"),
    (
        CodeSentTo,
        "Abbiamo inviato un codice di 6 cifre a {email}. Vale 10 minuti.",
    ),
    (Code, "Codice"),
    (ConfirmCode, "Accedi"),
    (OtherEmail, "Usa un altro indirizzo"),
    (
        AuthorToggle,
        "Scrivi questo blog? Accedi con la tua password.",
    ),
    (AdminName, "Nome amministratore"),
    (Password, "Password"),
    (SignInButton, "Accedi"),
    (SignedInAs, "Accesso eseguito come {name}"),
    (SignOut, "Esci"),
    (SignOutEverywhere, "Esci da tutti i dispositivi"),
    (Close, "Chiudi"),
    (
        ErrCode,
        "Questo codice è errato o scaduto. Chiedine uno nuovo.",
    ),
    (ErrCredentials, "Il nome o la password sono errati."),
    (ErrSession, "La sessione è terminata. Accedi di nuovo."),
    (
        ErrSso,
        "L’accesso di questo sito non ha funzionato. Ricarica la pagina.",
    ),
    (
        ConfirmReplies,
        "Per ricevere le risposte via email, scrivi il codice inviato a {email}.",
    ),
    (
        RepliesConfirmed,
        "Fatto: le risposte arriveranno a {email}.",
    ),
    (Approve, "Approva"),
    (Reject, "Rifiuta"),
    (Spam, "Spam"),
    (Block, "Blocca"),
    (LockThread, "Chiudi la discussione"),
    (UnlockThread, "Riapri la discussione"),
    (Approved, "Approvato."),
    (Removed, "Rimosso."),
    (BlockedNotice, "Bloccato: non può più commentare qui."),
    (ThreadClosed, "La discussione è chiusa a nuovi commenti."),
    (ThreadReopened, "La discussione è di nuovo aperta."),
    (AddPasskey, "Aggiungi una passkey"),
    (
        PasskeyAdded,
        "Passkey aggiunta: accedi con essa da qualsiasi dispositivo.",
    ),
    (UsePasskey, "Accedi con una passkey"),
    (
        ErrPasskey,
        "La passkey non ha funzionato. Usa la tua email.",
    ),
];
