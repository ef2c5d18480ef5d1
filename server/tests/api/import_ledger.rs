//! The import ledger never takes a comment for another: two blogs with the same comment ids,
//! two Disqus forums, two Isso databases, a file that repeats an id across posts, all land
//! whole; the same file twice adds nothing; a ledger entry that names another comment (or one
//! an earlier release wrote) is trusted only if its comment is really there.

use crate::helpers::*;
use crate::imports::{by_author, comments, fixture, import};
use palabre_server::cli::ImportFormat;
use palabre_server::import::{Options, Report, ThreadReport};
use std::path::{Path, PathBuf};

/// A comment of a generated export: its post's path, id, parent (0: none) and text.
struct Item<'a> {
    post: &'a str,
    id: u32,
    parent: u32,
    text: &'a str,
}

const fn item<'a>(post: &'a str, id: u32, parent: u32, text: &'a str) -> Item<'a> {
    Item {
        post,
        id,
        parent,
        text,
    }
}

/// A WordPress export of the blog at `base`, as WordPress writes it: the blog's address in
/// the channel's header, one `<item>` a post (ids given in order of first appearance).
fn wxr(dir: &Path, name: &str, base: &str, items: &[Item]) -> PathBuf {
    let mut posts: Vec<&str> = Vec::new();
    for i in items {
        if !posts.contains(&i.post) {
            posts.push(i.post);
        }
    }
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>{name}</title>
  <link>{base}</link>
  <wp:base_site_url>{base}</wp:base_site_url>
  <wp:base_blog_url>{base}</wp:base_blog_url>
"#
    );
    for (n, post) in posts.iter().enumerate() {
        xml.push_str(&format!(
            "  <item>\n    <title>{post}</title>\n    <link>{base}{post}</link>\n    \
             <wp:post_id>{}</wp:post_id>\n",
            n + 1
        ));
        for i in items.iter().filter(|i| i.post == *post) {
            xml.push_str(&format!(
                "    <wp:comment>\n      <wp:comment_id>{}</wp:comment_id>\n      \
                 <wp:comment_author>Reader {}</wp:comment_author>\n      \
                 <wp:comment_date_gmt>2020-01-0{} 10:00:00</wp:comment_date_gmt>\n      \
                 <wp:comment_content><![CDATA[{}]]></wp:comment_content>\n      \
                 <wp:comment_approved>1</wp:comment_approved>\n      \
                 <wp:comment_parent>{}</wp:comment_parent>\n    </wp:comment>\n",
                i.id, i.id, i.id, i.text, i.parent
            ));
        }
        xml.push_str("  </item>\n");
    }
    xml.push_str("</channel>\n</rss>\n");
    let path = dir.join(name);
    std::fs::write(&path, xml).unwrap();
    path
}

/// Two blogs with five comments each, ids 1 to 5 on both, and one path in common.
fn two_blogs(dir: &Path) -> (PathBuf, PathBuf) {
    let first = wxr(
        dir,
        "first-blog.xml",
        "https://blog.example.fr",
        &[
            item("/bonjour/", 1, 0, "Premier commentaire"),
            item("/bonjour/", 2, 1, "Réponse au premier"),
            item("/bonjour/", 3, 0, "Troisième"),
            item("/recettes/", 4, 0, "Une recette"),
            item("/recettes/", 5, 4, "Merci pour la recette"),
        ],
    );
    let second = wxr(
        dir,
        "second-blog.xml",
        "https://second.example.org",
        &[
            item("/bonjour/", 1, 0, "First comment of the second blog"),
            item("/bonjour/", 2, 1, "A reply on the second blog"),
            item("/news/", 3, 0, "News comment"),
            item("/news/", 4, 3, "Reply to the news"),
            item("/news/", 5, 0, "Another news comment"),
        ],
    );
    (first, second)
}

fn counts(report: &Report, thread: &str) -> ThreadReport {
    report.threads.get(thread).copied().unwrap_or_default()
}

#[tokio::test]
async fn two_wordpress_blogs_with_the_same_ids_both_land_and_each_again_adds_nothing() {
    let app = TestApp::spawn().await;
    let (first, second) = two_blogs(app.dir.path());
    let wp = ImportFormat::Wordpress;
    let one = import(&app, wp, &first, Options::default()).await.unwrap();
    assert_eq!(one.comments(), 5);
    let two = import(&app, wp, &second, Options::default()).await.unwrap();
    assert_eq!(two.comments(), 5, "none of the second blog's is skipped");
    assert_eq!(two.already_imported, 0);
    assert!(
        two.ledger_disagreed.is_empty(),
        "{:?}",
        two.ledger_disagreed
    );
    assert_eq!(app.totals().await.comments, 10);

    // Each reply under its own blog's parent, though both blogs have a comment 1 on /bonjour/.
    let bonjour = comments(&app, "/bonjour/").await;
    assert_eq!(bonjour.len(), 5);
    let reply = by_author(&bonjour, "Reader 2");
    assert_eq!(bonjour.iter().filter(|c| c.parent_id.is_some()).count(), 2);
    for r in bonjour.iter().filter(|c| c.parent_id.is_some()) {
        let parent = bonjour.iter().find(|c| Some(c.id) == r.parent_id).unwrap();
        let same_blog = r.body.contains("second blog") == parent.body.contains("second blog");
        assert!(same_blog, "{:?} under {:?}", r.body, parent.body);
    }
    assert!(reply.parent_id.is_some());
    assert_eq!(comments(&app, "/news/").await.len(), 3);

    // Each file again: nothing new, every comment counted as already there, in its thread.
    let once = app.totals().await;
    for (file, per_thread) in [
        (&first, [("/bonjour/", 3), ("/recettes/", 2)]),
        (&second, [("/bonjour/", 2), ("/news/", 3)]),
    ] {
        let dry = Options {
            dry_run: true,
            ..Options::default()
        };
        let preview = import(&app, wp, file, dry).await.unwrap();
        let again = import(&app, wp, file, Options::default()).await.unwrap();
        assert_eq!(again.comments(), 0);
        assert_eq!(again.already_imported, 5);
        for (thread, n) in per_thread {
            assert_eq!(counts(&again, thread).already_imported, n, "{thread}");
            assert_eq!(counts(&preview, thread), counts(&again, thread), "dry run");
        }
        assert_eq!(preview.already_imported, again.already_imported);
    }
    assert_eq!(app.totals().await, once);
}

#[tokio::test]
async fn a_file_that_repeats_an_id_across_posts_keeps_both_comments() {
    // Shaped like Isso's own WordPress test fixture: no blog address in the header, a comment
    // 11 on /2014/test/ and another comment 11 on /?p=4.
    let app = TestApp::spawn().await;
    let report = import(
        &app,
        ImportFormat::Wordpress,
        &fixture("wordpress-repeated-ids.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.already_imported, 0);
    assert_eq!(counts(&report, "/2014/test/").published, 3);
    assert_eq!(counts(&report, "/?p=4").published, 1);
    let test = comments(&app, "/2014/test/").await;
    assert!(
        by_author(&test, "Letzter")
            .body
            .contains("Last on the first post")
    );
    let p4 = comments(&app, "/?p=4").await;
    assert_eq!(p4.len(), 1, "/?p=4 is not left empty");
    assert!(
        by_author(&p4, "Anonymous")
            .body
            .contains("On the other post")
    );
    let again = import(
        &app,
        ImportFormat::Wordpress,
        &fixture("wordpress-repeated-ids.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!((again.comments(), again.already_imported), (0, 4));
}

/// A Disqus export of forum `forum`: one thread at `path`, posts 101 (top) and 102 (reply).
fn disqus(dir: &Path, forum: &str, path: &str, words: &str) -> PathBuf {
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="1"><forum>{forum}</forum><title>General</title></category>
  <thread dsq:id="7">
    <id/><forum>{forum}</forum><category dsq:id="1"/>
    <link>https://{forum}.example{path}</link><title>{words}</title>
    <createdAt>2019-03-01T09:00:00Z</createdAt>
  </thread>
  <post dsq:id="101">
    <id/><message><![CDATA[<p>{words}: first</p>]]></message>
    <createdAt>2019-03-01T09:15:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Ann of {forum}</name></author><thread dsq:id="7"/>
  </post>
  <post dsq:id="102">
    <id/><message><![CDATA[<p>{words}: a reply</p>]]></message>
    <createdAt>2019-03-01T10:15:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Ben of {forum}</name></author><thread dsq:id="7"/><parent dsq:id="101"/>
  </post>
</disqus>
"#
    );
    let file = dir.join(format!("{forum}.xml"));
    std::fs::write(&file, xml).unwrap();
    file
}

#[tokio::test]
async fn two_disqus_forums_with_the_same_post_ids_both_land() {
    let app = TestApp::spawn().await;
    let alpha = disqus(app.dir.path(), "alpha", "/same/", "Alpha");
    let beta = disqus(app.dir.path(), "beta", "/same/", "Beta");
    let d = ImportFormat::Disqus;
    assert_eq!(
        import(&app, d, &alpha, Options::default())
            .await
            .unwrap()
            .comments(),
        2
    );
    let second = import(&app, d, &beta, Options::default()).await.unwrap();
    assert_eq!((second.comments(), second.already_imported), (2, 0));
    let same = comments(&app, "/same/").await;
    assert_eq!(same.len(), 4);
    for forum in ["alpha", "beta"] {
        let top = by_author(&same, &format!("Ann of {forum}"));
        let reply = by_author(&same, &format!("Ben of {forum}"));
        assert_eq!(
            reply.parent_id,
            Some(top.id),
            "{forum}'s reply, {forum}'s parent"
        );
    }
    for file in [&alpha, &beta] {
        let again = import(&app, d, file, Options::default()).await.unwrap();
        assert_eq!((again.comments(), again.already_imported), (0, 2));
    }
}

/// An Isso database from tests/fixtures/isso.sql, its texts changed by `edit` (SQL), with
/// Isso's random session key when `key` is given.
fn isso(dir: &Path, name: &str, key: Option<&str>, edit: &str) -> PathBuf {
    let db = dir.join(name);
    let mut script = std::fs::read_to_string(fixture("isso.sql")).unwrap();
    if let Some(key) = key {
        // As Isso keeps it: Python bytes, so a BLOB.
        script.push_str(&format!(
            "CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);\n\
             INSERT INTO preferences VALUES ('session-key', CAST('{key}' AS BLOB));\n"
        ));
    }
    script.push_str(edit);
    let status = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"])
        .arg(&db)
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    db
}

const OTHER_TEXTS: &str =
    "UPDATE comments SET text = 'Other Isso: ' || text, created = created + 7;";

#[tokio::test]
async fn two_isso_databases_with_the_same_ids_both_land() {
    let app = TestApp::spawn().await;
    let dir = app.dir.path();
    let first = isso(dir, "first.db", Some("9f2c1d"), "");
    let second = isso(dir, "second.db", Some("04ab77"), OTHER_TEXTS);
    let i = ImportFormat::Isso;
    assert_eq!(
        import(&app, i, &first, Options::default())
            .await
            .unwrap()
            .comments(),
        5
    );
    let two = import(&app, i, &second, Options::default()).await.unwrap();
    assert_eq!((two.comments(), two.already_imported), (5, 0));
    assert!(
        two.ledger_disagreed.is_empty(),
        "told apart by the instance"
    );
    let sourdough = comments(&app, "/posts/sourdough/").await;
    let replies: Vec<_> = sourdough.iter().filter(|c| c.parent_id.is_some()).collect();
    assert_eq!(replies.len(), 2);
    for r in replies {
        let parent = sourdough
            .iter()
            .find(|c| Some(c.id) == r.parent_id)
            .unwrap();
        assert_eq!(
            r.body.starts_with("Other Isso"),
            parent.body.starts_with("Other Isso"),
            "each reply under its own database's parent"
        );
    }
    for db in [&first, &second] {
        let again = import(&app, i, db, Options::default()).await.unwrap();
        assert_eq!((again.comments(), again.already_imported), (0, 5));
    }
}

#[tokio::test]
async fn isso_databases_that_cannot_be_told_apart_are_imported_and_the_summary_says_so() {
    // No session key in either (a hand-made file, a very old Isso): their ids collide in the
    // ledger, and the texts show the comments are not the same.
    let app = TestApp::spawn().await;
    let first = isso(app.dir.path(), "first.db", None, "");
    let second = isso(app.dir.path(), "second.db", None, OTHER_TEXTS);
    let i = ImportFormat::Isso;
    import(&app, i, &first, Options::default()).await.unwrap();
    let two = import(&app, i, &second, Options::default()).await.unwrap();
    assert_eq!(two.comments(), 5, "none skipped");
    assert_eq!(two.already_imported, 0);
    assert_eq!(two.ledger_disagreed.len(), 5, "{:?}", two.ledger_disagreed);
    assert!(
        two.ledger_disagreed[0].contains("whose date or text differ"),
        "{:?}",
        two.ledger_disagreed
    );
    assert_eq!(counts(&two, "/posts/sourdough/").ledger_disagreed, 3);
    assert_eq!(app.totals().await.comments, 10);
    // The same file again is recognised.
    let again = import(&app, i, &second, Options::default()).await.unwrap();
    assert_eq!((again.comments(), again.already_imported), (0, 5));
}

#[tokio::test]
async fn a_ledger_entry_naming_a_comment_that_is_not_this_one_is_not_trusted() {
    let app = TestApp::spawn().await;
    let (first, _) = two_blogs(app.dir.path());
    let wp = ImportFormat::Wordpress;
    import(&app, wp, &first, Options::default()).await.unwrap();
    // The entry of /recettes/'s comment 4 now names a comment of another thread.
    app.sql(
        "UPDATE imports SET comment_id = (SELECT MIN(id) FROM comments) \
         WHERE external_id LIKE '%#comment-4'",
    )
    .await;
    let again = import(&app, wp, &first, Options::default()).await.unwrap();
    assert_eq!(again.comments(), 1, "comment 4 is imported again");
    assert_eq!(counts(&again, "/recettes/").ledger_disagreed, 1);
    assert_eq!(again.already_imported, 4);
    assert_eq!(again.ledger_disagreed.len(), 1);
    let said = &again.ledger_disagreed[0];
    assert!(
        said.starts_with(
            "/recettes/: the ledger had wp:https://blog.example.fr/?p=2#comment-4 for comment "
        ) && said.ends_with("in another thread; imported"),
        "{said}"
    );
    let recettes = comments(&app, "/recettes/").await;
    assert_eq!(
        recettes.len(),
        3,
        "the original, the reply, the one imported again"
    );
    // Now the entry names it: a third run adds nothing.
    let third = import(&app, wp, &first, Options::default()).await.unwrap();
    assert_eq!((third.comments(), third.already_imported), (0, 5));
}

#[tokio::test]
async fn a_ledger_an_earlier_release_wrote_keeps_working() {
    let app = TestApp::spawn().await;
    let (first, second) = two_blogs(app.dir.path());
    let wp = ImportFormat::Wordpress;
    import(&app, wp, &first, Options::default()).await.unwrap();
    // As the release before wrote it: the comment's id alone, no fingerprint.
    let find = if on_postgres() { "strpos" } else { "instr" };
    app.sql(&format!(
        "UPDATE imports SET \
         external_id = 'wp:' || substr(external_id, {find}(external_id, '#comment-') + 9), \
         external_parent = CASE WHEN external_parent IS NULL THEN NULL ELSE \
           'wp:' || substr(external_parent, {find}(external_parent, '#comment-') + 9) END, \
         fingerprint = NULL"
    ))
    .await;
    assert_eq!(
        app.sql_count(
            "SELECT COUNT(*) FROM imports WHERE external_id = 'wp:5' AND external_parent = 'wp:4'"
        )
        .await,
        1
    );

    // Another blog with the same ids: the old entries name other comments, so all land.
    let two = import(&app, wp, &second, Options::default()).await.unwrap();
    assert_eq!((two.comments(), two.already_imported), (5, 0));
    assert_eq!(
        two.ledger_disagreed.len(),
        5,
        "the old ledger knew their ids"
    );

    // The first blog again: recognised by the old entries, which move to the new ids.
    let again = import(&app, wp, &first, Options::default()).await.unwrap();
    assert_eq!((again.comments(), again.already_imported), (0, 5));
    assert!(again.ledger_disagreed.is_empty());
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM imports WHERE fingerprint IS NULL")
            .await,
        0,
        "every entry rewritten"
    );
    assert_eq!(app.totals().await.comments, 10);
    // A comment added to the old blog since, replying to an old one, finds its parent.
    let grown = wxr(
        app.dir.path(),
        "first-blog-later.xml",
        "https://blog.example.fr",
        &[
            item("/bonjour/", 1, 0, "Premier commentaire"),
            item("/bonjour/", 6, 1, "Une réponse plus tardive"),
        ],
    );
    let later = import(&app, wp, &grown, Options::default()).await.unwrap();
    assert_eq!((later.comments(), later.already_imported), (1, 1));
    let bonjour = comments(&app, "/bonjour/").await;
    let late = by_author(&bonjour, "Reader 6");
    let parent = bonjour.iter().find(|c| Some(c.id) == late.parent_id);
    assert_eq!(parent.map(|p| p.body.as_str()), Some("Premier commentaire"));
}
