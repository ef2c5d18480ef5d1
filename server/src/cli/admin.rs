//! `palabre admin ...`: account management from the shell. Passwords come from standard
//! input, never from arguments (which other users can see in the process list).

use super::AdminCommand;
use crate::clock::now;
use crate::http::admin::auth::{self, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use crate::store;
use anyhow::{Context, bail};
use std::io::BufRead;

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::SetPassword { database, name } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
                bail!("the admin name must be 1 to 64 printable characters");
            }
            let password = read_password()?;
            let hash = auth::hash_password(&password)?;
            let store = store::connect(&super::database_url(database))
                .await
                .context("opening the database")?;
            store.set_admin_password(name, &hash, now()).await?;
            eprintln!("Password set for admin {name:?}. Sign in at /admin.");
            Ok(())
        }
        AdminCommand::SetDisplayName {
            database,
            name,
            display_name,
        } => {
            let shown = palabre_api::AuthorName::parse(&display_name)
                .map_err(|e| anyhow::anyhow!("display name: {}", e.code.default_message()))?;
            let store = store::connect(&super::database_url(database))
                .await
                .context("opening the database")?;
            if !store
                .set_admin_display_name(name.trim(), shown.as_ref().map(|n| n.as_str()))
                .await?
            {
                bail!("no admin named {name:?}: create them with `palabre admin set-password`");
            }
            match shown {
                Some(n) => eprintln!("Admin {name:?} now comments as {:?}.", n.as_str()),
                None => eprintln!("Admin {name:?} now comments under their sign-in name."),
            }
            Ok(())
        }
        AdminCommand::HashPassword => {
            println!("{}", auth::hash_password(&read_password()?)?);
            Ok(())
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("Password (at least {MIN_PASSWORD_CHARS} characters; input is shown): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        bail!("the password must have at most {MAX_PASSWORD_BYTES} bytes");
    }
    Ok(password.to_owned())
}
