//! `palabre reader export|delete`: a reader's data rights from the shell.

use super::ReaderCommand;

pub async fn run(command: ReaderCommand) -> anyhow::Result<()> {
    match command {
        ReaderCommand::Export { email, site, db } => {
            let services = db.services().await?;
            let data = crate::readers::export(&services, &email, site.as_ref()).await?;
            println!("{}", serde_json::to_string_pretty(&data)?);
            Ok(())
        }
        ReaderCommand::Delete {
            email,
            mode,
            site,
            db,
        } => {
            let services = db.services().await?;
            let n = crate::readers::forget(&services, "command line", &email, site.as_ref(), mode)
                .await?;
            eprintln!("erased {n} comments");
            Ok(())
        }
    }
}
