//! The widget's words in its language. English is compiled in; any other language comes from
//! the widget's server (`/api/v1/words/{lang}`, cached by the browser for a day), so that the
//! languages cost nothing to the readers of the others.

use crate::client::ApiClient;
use palabre_api::i18n::{Lang, Words};

/// The words of `lang`; English when they cannot be had (server unreachable, or of another
/// version whose keys are not the widget's), with a warning in the console.
pub async fn words_for(client: &ApiClient, lang: Lang) -> Words {
    if lang == Lang::En {
        return Words::english();
    }
    client.words(lang).await.unwrap_or_else(|| {
        web_sys::console::warn_2(
            &"Palabre: the comment server gave no words in this language; English instead:".into(),
            &lang.tag().into(),
        );
        Words::english()
    })
}
