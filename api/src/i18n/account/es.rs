use super::Account::{self, *};

pub(super) static WORDS: &[(Account, &str)] = &[
    (SignInTitle, "Iniciar sesión"),
    (
        SignInIntro,
        "Confirma tu correo para conservar tu nombre aquí, editar tus comentarios desde cualquier dispositivo y recibir las respuestas por correo.",
    ),
    (YourEmail, "Tu correo electrónico"),
    (SendCode, "Enviarme un código"),
    (Sending, "Enviando…"),
    (
        CodeSentTo,
        "Hemos enviado un código de 6 cifras a {email}. Vale durante 10 minutos.",
    ),
    (Code, "Código"),
    (ConfirmCode, "Iniciar sesión"),
    (OtherEmail, "Usar otra dirección"),
    (
        AuthorToggle,
        "¿Escribes este blog? Inicia sesión con tu contraseña.",
    ),
    (AdminName, "Nombre de administrador"),
    (Password, "Contraseña"),
    (SignInButton, "Iniciar sesión"),
    (SignedInAs, "Sesión iniciada como {name}"),
    (SignOut, "Cerrar sesión"),
    (SignOutEverywhere, "Cerrar sesión en todos los dispositivos"),
    (Close, "Cerrar"),
    (
        ErrCode,
        "Este código es incorrecto o ha caducado. Pide uno nuevo.",
    ),
    (ErrCredentials, "El nombre o la contraseña son incorrectos."),
    (
        ErrSession,
        "Tu sesión ha terminado. Vuelve a iniciar sesión.",
    ),
    (
        ErrSso,
        "El inicio de sesión de este sitio no ha funcionado. Recarga la página.",
    ),
    (
        ConfirmReplies,
        "Para recibir las respuestas por correo, escribe el código enviado a {email}.",
    ),
    (
        RepliesConfirmed,
        "Hecho: las respuestas llegarán a {email}.",
    ),
    (Approve, "Aprobar"),
    (Reject, "Rechazar"),
    (Spam, "Spam"),
    (Block, "Bloquear"),
    (LockThread, "Cerrar la conversación"),
    (UnlockThread, "Reabrir la conversación"),
    (Approved, "Aprobado."),
    (Removed, "Retirado."),
    (BlockedNotice, "Bloqueado: ya no puede comentar aquí."),
    (
        ThreadClosed,
        "La conversación está cerrada a nuevos comentarios.",
    ),
    (ThreadReopened, "La conversación vuelve a estar abierta."),
    (AddPasskey, "Añadir una llave de acceso"),
    (
        PasskeyAdded,
        "Llave de acceso añadida: inicia sesión con ella en cualquier dispositivo.",
    ),
    (UsePasskey, "Iniciar sesión con una llave de acceso"),
    (
        ErrPasskey,
        "La llave de acceso no ha funcionado. Usa tu correo electrónico.",
    ),
];
