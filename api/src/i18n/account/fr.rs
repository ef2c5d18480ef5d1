use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Se connecter"),
    (
        SignInIntro,
        "Prouvez votre adresse pour garder votre nom ici, modifier vos commentaires depuis n’importe quel appareil et recevoir les réponses par e-mail.",
    ),
    (YourEmail, "Votre adresse e-mail"),
    (SendCode, "M’envoyer un code"),
    (Sending, "Envoi…"),
    (
        CodeSentTo,
        "Nous avons envoyé un code à 6 chiffres à {email}. Il est valable 10 minutes.",
    ),
    (Code, "Code"),
    (ConfirmCode, "Se connecter"),
    (OtherEmail, "Utiliser une autre adresse"),
    (
        AuthorToggle,
        "Vous êtes l’auteur du blog ? Connectez-vous avec votre mot de passe.",
    ),
    (AdminName, "Nom d’administrateur"),
    (Password, "Mot de passe"),
    (SignInButton, "Se connecter"),
    (SignedInAs, "Connecté en tant que {name}"),
    (SignOut, "Se déconnecter"),
    (SignOutEverywhere, "Se déconnecter sur tous les appareils"),
    (Close, "Fermer"),
    (
        ErrCode,
        "Ce code est faux ou a expiré. Demandez-en un nouveau.",
    ),
    (ErrCredentials, "Le nom ou le mot de passe est faux."),
    (ErrSession, "Votre session a pris fin. Reconnectez-vous."),
    (
        ErrSso,
        "La connexion de ce site n’a pas fonctionné. Rechargez la page.",
    ),
    (
        ConfirmReplies,
        "Pour recevoir les réponses par e-mail, saisissez le code envoyé à {email}.",
    ),
    (
        RepliesConfirmed,
        "C’est fait : les réponses arriveront à {email}.",
    ),
    (Approve, "Approuver"),
    (Reject, "Refuser"),
    (Spam, "Indésirable"),
    (Block, "Bloquer"),
    (LockThread, "Fermer la discussion"),
    (UnlockThread, "Rouvrir la discussion"),
    (Approved, "Approuvé."),
    (Removed, "Retiré."),
    (
        BlockedNotice,
        "Bloqué : cette personne ne peut plus commenter ici.",
    ),
    (
        ThreadClosed,
        "La discussion est fermée aux nouveaux commentaires.",
    ),
    (ThreadReopened, "La discussion est rouverte."),
    (AddPasskey, "Ajouter une clé d’accès"),
    (
        PasskeyAdded,
        "Clé d’accès ajoutée : connectez-vous avec elle sur n’importe quel appareil.",
    ),
    (UsePasskey, "Se connecter avec une clé d’accès"),
    (
        ErrPasskey,
        "La clé d’accès n’a pas fonctionné. Utilisez plutôt votre adresse e-mail.",
    ),
];
