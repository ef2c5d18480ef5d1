//! The thread as the widget holds it: comments by id plus the order of each level. Pages are
//! appended, new comments inserted, edits and deletions applied in place, so nothing already
//! shown has to be fetched or drawn again. Plain Rust, tested natively.

use palabre_api::{Comment, CommentStatus, SortOrder, ThreadPage};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadState {
    pub sort: SortOrder,
    pub title: Option<String>,
    pub locked: bool,
    /// Published comments in the whole thread (from the server, kept current locally).
    pub count: u64,
    pub next_cursor: Option<String>,
    comments: HashMap<i64, Comment>,
    roots: Vec<i64>,
    children: HashMap<i64, Vec<i64>>,
    /// Comments whose own data or replies changed since [`ThreadState::take_changed`]: the
    /// widget redraws those alone, however many are shown.
    changed: Vec<i64>,
}

impl ThreadState {
    pub fn new(sort: SortOrder) -> Self {
        Self {
            sort,
            ..Self::default()
        }
    }

    pub fn get(&self, id: i64) -> Option<&Comment> {
        self.comments.get(&id)
    }

    pub fn roots(&self) -> &[i64] {
        &self.roots
    }

    pub fn children(&self, id: i64) -> &[i64] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Comments held (all pages so far, placeholders included).
    pub fn len(&self) -> usize {
        self.comments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.comments.is_empty()
    }

    /// Adds a page received from the server (comments in display order).
    pub fn append_page(&mut self, page: ThreadPage) {
        self.title = page.thread.title;
        self.locked = page.thread.locked;
        self.count = page.thread.count;
        self.next_cursor = page.next_cursor;
        for c in page.comments {
            if self.comments.contains_key(&c.id) {
                continue;
            }
            self.link(c.id, c.parent, false);
            self.comments.insert(c.id, c);
        }
    }

    /// Starts over (another sort order, a reload): every comment held so far counts as
    /// changed, since a view of it may outlive the reset.
    pub fn reset(&mut self, sort: SortOrder) {
        let held: Vec<i64> = self.comments.keys().copied().collect();
        *self = Self::new(sort);
        self.changed = held;
    }

    /// Takes the list of comments changed since the last call.
    pub fn take_changed(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.changed)
    }

    fn link(&mut self, id: i64, parent: Option<i64>, newest_first: bool) {
        match parent.filter(|p| self.comments.contains_key(p)) {
            Some(p) => {
                self.children.entry(p).or_default().push(id);
                self.changed.push(p);
            }
            None if newest_first => self.roots.insert(0, id),
            None => self.roots.push(id),
        }
    }

    /// A comment the reader just posted: replies go last under their parent (replies are
    /// chronological); top-level comments go first when sorted newest first, else last.
    pub fn add_new(&mut self, c: Comment) {
        if self.comments.contains_key(&c.id) {
            return;
        }
        if c.status == CommentStatus::Published {
            self.count += 1;
        }
        self.link(c.id, c.parent, self.sort == SortOrder::Newest);
        self.comments.insert(c.id, c);
    }

    /// An edited comment, or new vote counts.
    pub fn replace(&mut self, c: Comment) {
        if let Some(slot) = self.comments.get_mut(&c.id) {
            self.changed.push(c.id);
            *slot = c;
        }
    }

    pub fn set_votes(&mut self, id: i64, likes: u32, dislikes: u32) {
        if let Some(c) = self.comments.get_mut(&id) {
            c.likes = likes;
            c.dislikes = dislikes;
            self.changed.push(id);
        }
    }

    /// Applies a deletion as the server did: a placeholder replaces the comment, or the
    /// comment goes and so do placeholders above it left without replies.
    pub fn apply_delete(&mut self, id: i64, placeholder: Option<Comment>) {
        let Some(old) = self.comments.get(&id) else {
            return;
        };
        if old.status == CommentStatus::Published {
            self.count = self.count.saturating_sub(1);
        }
        self.changed.push(id);
        if let Some(p) = placeholder {
            self.comments.insert(id, p);
            return;
        }
        let mut current = Some(id);
        while let Some(id) = current {
            let Some(c) = self.comments.remove(&id) else {
                break;
            };
            if let Some(p) = c.parent {
                self.changed.push(p);
            }
            self.children.remove(&id);
            match c
                .parent
                .and_then(|p| self.children.get_mut(&p).map(|kids| (p, kids)))
            {
                Some((p, kids)) => {
                    kids.retain(|k| *k != id);
                    let emptied = kids.is_empty();
                    let parent_is_placeholder = self
                        .comments
                        .get(&p)
                        .is_some_and(|pc| pc.status == CommentStatus::Deleted);
                    current = (emptied && parent_is_placeholder).then_some(p);
                }
                None => {
                    self.roots.retain(|r| *r != id);
                    current = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_api::{Thread, Timestamp};

    fn c(id: i64, parent: Option<i64>) -> Comment {
        Comment {
            id,
            parent,
            author: None,
            website: None,
            avatar: "a".into(),
            html: format!("<p>{id}</p>"),
            created: Timestamp::from_millis(id),
            edited: None,
            likes: 0,
            dislikes: 0,
            status: CommentStatus::Published,
        }
    }

    fn page(comments: Vec<Comment>, next: Option<&str>) -> ThreadPage {
        ThreadPage {
            thread: Thread {
                key: "/t".into(),
                title: Some("T".into()),
                count: 10,
                locked: false,
            },
            comments,
            next_cursor: next.map(str::to_owned),
        }
    }

    #[test]
    fn only_the_comments_touched_are_reported_changed() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None), c(2, Some(1)), c(5, None)], Some("x")));
        s.take_changed();
        s.append_page(page(vec![c(6, None), c(7, Some(6))], None));
        assert_eq!(
            s.take_changed(),
            vec![6],
            "a new page: its own parents only"
        );
        s.add_new(c(3, Some(1)));
        assert_eq!(s.take_changed(), vec![1], "a reply: its parent");
        s.set_votes(5, 2, 0);
        assert_eq!(s.take_changed(), vec![5]);
        s.replace(c(2, Some(1)));
        assert_eq!(s.take_changed(), vec![2]);
        s.apply_delete(3, None);
        assert_eq!(
            s.take_changed(),
            vec![3, 1],
            "a removed reply: itself and its parent"
        );
        assert_eq!(s.take_changed(), Vec::<i64>::new());
        s.reset(SortOrder::Newest);
        let mut held = s.take_changed();
        held.sort();
        assert_eq!(held, vec![1, 2, 5, 6, 7], "a reset: everything held before");
        assert!(s.is_empty());
    }

    #[test]
    fn pages_append_without_duplicates() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(
            vec![c(1, None), c(2, Some(1)), c(3, Some(2))],
            Some("x"),
        ));
        s.append_page(page(vec![c(4, None), c(1, None)], None));
        assert_eq!(s.roots(), &[1, 4]);
        assert_eq!(s.children(1), &[2]);
        assert_eq!(s.children(2), &[3]);
        assert_eq!(s.len(), 4);
        assert_eq!(s.next_cursor, None);
        assert_eq!(s.count, 10);
    }

    #[test]
    fn new_comments_go_where_the_sort_puts_them() {
        let mut s = ThreadState::new(SortOrder::Newest);
        s.append_page(page(vec![c(2, None), c(1, None)], None));
        s.add_new(c(3, None));
        s.add_new(c(4, Some(1)));
        assert_eq!(s.roots(), &[3, 2, 1]);
        assert_eq!(s.children(1), &[4]);
        assert_eq!(s.count, 12);
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None)], None));
        s.add_new(c(2, None));
        assert_eq!(s.roots(), &[1, 2]);
    }

    #[test]
    fn deletions_mirror_the_server() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None), c(2, Some(1)), c(3, None)], None));
        let mut placeholder = c(1, None);
        placeholder.status = CommentStatus::Deleted;
        placeholder.html.clear();
        s.apply_delete(1, Some(placeholder.clone()));
        assert_eq!(s.get(1), Some(&placeholder));
        assert_eq!(s.count, 9);
        // The last reply goes: the placeholder goes with it.
        s.apply_delete(2, None);
        assert_eq!(s.get(1), None);
        assert_eq!(s.roots(), &[3]);
        assert_eq!(s.count, 8, "placeholders were not counted");
        s.apply_delete(3, None);
        assert!(s.is_empty());
        s.apply_delete(42, None);
    }

    #[test]
    fn edits_and_votes_replace_in_place() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None)], None));
        let mut edited = c(1, None);
        edited.html = "<p>new</p>".into();
        s.replace(edited.clone());
        s.set_votes(1, 3, 1);
        let got = s.get(1).unwrap();
        assert_eq!(
            (got.html.as_str(), got.likes, got.dislikes),
            ("<p>new</p>", 3, 1)
        );
    }
}
