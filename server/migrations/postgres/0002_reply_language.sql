-- The language a commenter read the widget in, for the emails telling them of replies (a
-- language tag; NULL: the server's `language`).
ALTER TABLE comments ADD COLUMN notify_lang TEXT;
