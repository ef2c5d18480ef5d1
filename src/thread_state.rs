//! The thread as the widget holds it: comments by id plus the order of each level. Pages are
//! appended, new comments inserted, edits and deletions applied in place, so nothing already
//! shown has to be fetched or drawn again. Live updates (`live.rs`) come in here too: changes
//! to what is shown apply in place, new top-level comments wait until the reader asks for
//! them. Plain Rust, tested natively.

use palabre_api::{Comment, CommentStatus, SortOrder, ThreadPage};
use std::collections::HashMap;

/// What a live change did to the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Applied {
    /// Changed what is shown, in place.
    Shown,
    /// A new comment waits for the reader to show it.
    Waiting,
    /// Nothing shown: a comment of a page not loaded yet (that page brings it as it is).
    #[default]
    Nothing,
}

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
    /// New top-level comments from the live stream (and replies to them), in the order they
    /// came: shown when the reader asks, never pushed into view.
    waiting: Vec<Comment>,
    /// Top-level comments shown at the end on the reader's asking, ahead of their sort's place:
    /// pages loaded later go before them.
    shown_last: usize,
    /// Hidden by a moderator: reads as an empty, locked thread.
    pub hidden: bool,
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
        self.hidden = false;
        let tail = self.roots.len() - self.shown_last.min(self.roots.len());
        let shown_last = self.roots.split_off(tail);
        for c in page.comments {
            if self.comments.contains_key(&c.id) {
                continue;
            }
            self.unwait(c.id);
            self.link(c.id, c.parent, false);
            self.comments.insert(c.id, c);
        }
        // Those the page brought at their place are no longer out of it.
        self.shown_last = shown_last.len();
        self.roots.extend(shown_last);
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
        // Already counted when the live stream brought it first.
        if !self.unwait(c.id) && c.status == CommentStatus::Published {
            self.count += 1;
        }
        self.insert_new(c);
    }

    fn insert_new(&mut self, c: Comment) {
        let newest_first = self.sort == SortOrder::Newest;
        if c.parent.is_none() && !newest_first {
            self.shown_last += 1;
        }
        self.link(c.id, c.parent, newest_first);
        self.comments.insert(c.id, c);
    }

    /// Takes a comment (and its replies) out of the waiting ones; whether it was there.
    fn unwait(&mut self, id: i64) -> bool {
        let before = self.waiting.len();
        let mut gone = vec![id];
        self.waiting.retain(|w| {
            let goes = gone.contains(&w.id) || w.parent.is_some_and(|p| gone.contains(&p));
            if goes {
                gone.push(w.id);
            }
            !goes
        });
        self.waiting.len() != before
    }

    /// New comments waiting to be shown.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Shows the waiting comments where the sort puts new ones; returns the top-level ones.
    pub fn show_waiting(&mut self) -> Vec<i64> {
        let waiting = std::mem::take(&mut self.waiting);
        let mut roots: Vec<i64> = waiting
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| c.id)
            .collect();
        for c in waiting {
            self.insert_new(c);
        }
        // Newest first: each went in first, so the last to come is on top.
        if self.sort == SortOrder::Newest {
            roots.reverse();
        }
        roots
    }

    /// Whether a top-level comment of this date belongs among the pages loaded so far: all
    /// of them once the last page is in, else before the last shown in date order.
    fn in_loaded_range(&self, created: palabre_api::Timestamp) -> bool {
        if self.next_cursor.is_none() {
            return true;
        }
        let last = self.roots[..self.roots.len() - self.shown_last.min(self.roots.len())]
            .last()
            .and_then(|id| self.comments.get(id));
        match (self.sort, last) {
            (SortOrder::Oldest, Some(last)) => created < last.created,
            (SortOrder::Newest, Some(last)) => created > last.created,
            // By score: where it goes is the server's to say; "Load more" brings it.
            _ => false,
        }
    }

    /// A comment from the live stream: published (new, or approved), edited, voted on, or
    /// turned into a placeholder. Applying the same one twice changes nothing.
    pub fn live_comment(&mut self, c: Comment) -> Applied {
        let published = |s| s == CommentStatus::Published;
        if let Some(old) = self.comments.get(&c.id) {
            match (published(old.status), published(c.status)) {
                (true, false) => self.count = self.count.saturating_sub(1),
                (false, true) => self.count += 1,
                _ => {}
            }
            self.replace(c);
            return Applied::Shown;
        }
        if let Some(slot) = self.waiting.iter_mut().find(|w| w.id == c.id) {
            *slot = c;
            return Applied::Waiting;
        }
        if !published(c.status) {
            return Applied::Nothing;
        }
        match c.parent {
            // Replies of a shown comment are all shown (a page never splits a subtree):
            // this one is new. Among its siblings by date: an approval may come late.
            Some(p) if self.comments.contains_key(&p) => {
                self.count += 1;
                let kids = self.children.entry(p).or_default();
                let at = kids
                    .iter()
                    .position(|k| self.comments.get(k).is_some_and(|k| k.created > c.created))
                    .unwrap_or(kids.len());
                kids.insert(at, c.id);
                self.changed.push(p);
                self.comments.insert(c.id, c);
                Applied::Shown
            }
            Some(p) if self.waiting.iter().any(|w| w.id == p) => {
                self.count += 1;
                self.waiting.push(c);
                Applied::Waiting
            }
            None if self.in_loaded_range(c.created) => {
                self.count += 1;
                self.waiting.push(c);
                Applied::Waiting
            }
            _ => Applied::Nothing,
        }
    }

    /// A comment removed (deleted, or taken down by a moderator).
    pub fn live_removed(&mut self, id: i64) -> Applied {
        if self.comments.contains_key(&id) {
            self.apply_delete(id, None);
            return Applied::Shown;
        }
        let was_published = self
            .waiting
            .iter()
            .any(|w| w.id == id && w.status == CommentStatus::Published);
        if self.unwait(id) {
            if was_published {
                self.count = self.count.saturating_sub(1);
            }
            return Applied::Waiting;
        }
        Applied::Nothing
    }

    /// The thread locked or unlocked, hidden or shown (or retitled). Its count is not taken:
    /// it is the thread's as the server read it for the whole batch, which may already hold
    /// comments whose own changes come after this one, and would then be counted twice.
    pub fn live_thread(&mut self, locked: bool, hidden: bool) {
        self.locked = locked || hidden;
        if hidden {
            let sort = self.sort;
            self.reset(sort);
            self.locked = true;
        }
        self.hidden = hidden;
    }

    /// The first page again, after the live stream could not say what was missed: what is
    /// held is brought up to date in place, what the page no longer has within its range
    /// goes, new top-level comments wait. Pages loaded beyond the first stay.
    pub fn refresh(&mut self, page: ThreadPage) {
        if self.comments.is_empty() {
            self.append_page(page);
            return;
        }
        self.title = page.thread.title;
        self.locked = page.thread.locked;
        self.hidden = false;
        let first_only = page.next_cursor.is_none();
        let fresh: std::collections::HashSet<i64> = page.comments.iter().map(|c| c.id).collect();
        let fresh_roots: Vec<i64> = page
            .comments
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| c.id)
            .collect();
        let fresh_last = page
            .comments
            .iter()
            .rfind(|c| c.parent.is_none())
            .map(|c| (c.id, c.created));
        // Held comments the page would have, and has not: gone since.
        let covered = |s: &Self, c: &Comment| {
            let root = s.root_of(c.id);
            let created = s.comments.get(&root).map(|r| r.created);
            first_only
                || fresh_roots.contains(&root)
                || match (s.sort, created, fresh_last) {
                    (SortOrder::Oldest, Some(at), Some((_, last))) => at < last,
                    (SortOrder::Newest, Some(at), Some((_, last))) => at > last,
                    (_, _, Some((last, _))) => {
                        let at = |id: i64| s.roots.iter().position(|r| *r == id);
                        at(root).zip(at(last)).is_some_and(|(a, b)| a < b)
                    }
                    _ => false,
                }
        };
        let gone: Vec<i64> = self
            .comments
            .values()
            .filter(|c| !fresh.contains(&c.id) && c.status != CommentStatus::Pending)
            .filter(|c| covered(self, c))
            .map(|c| c.id)
            .collect();
        for id in gone {
            self.apply_delete(id, None);
        }
        for c in page.comments {
            self.live_comment(c);
        }
        self.count = page.thread.count;
    }

    fn root_of(&self, mut id: i64) -> i64 {
        while let Some(p) = self.comments.get(&id).and_then(|c| c.parent) {
            id = p;
        }
        id
    }

    /// Whether `id` is `ancestor` or lies under it.
    pub fn is_within(&self, mut id: i64, ancestor: i64) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.comments.get(&id).and_then(|c| c.parent) {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// An edited comment, or new vote counts.
    pub fn replace(&mut self, c: Comment) {
        if let Some(slot) = self.comments.get_mut(&c.id) {
            self.changed.push(c.id);
            *slot = c;
        }
    }

    /// A comment as it is after the author moderated it in place: approved, it counts.
    pub fn approved(&mut self, c: Comment) {
        let was_held = self
            .comments
            .get(&c.id)
            .is_some_and(|old| old.status == CommentStatus::Pending);
        if was_held && c.status == CommentStatus::Published {
            self.count += 1;
        }
        self.replace(c);
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
                    if let Some(at) = self.roots.iter().position(|r| *r == id) {
                        if at >= self.roots.len() - self.shown_last.min(self.roots.len()) {
                            self.shown_last -= 1;
                        }
                        self.roots.remove(at);
                    }
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
            role: Default::default(),
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

    #[test]
    fn live_replies_show_in_place_and_top_level_comments_wait() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None), c(2, Some(1)), c(5, None)], None));
        s.take_changed();
        assert_eq!(s.live_comment(c(7, Some(1))), Applied::Shown);
        assert_eq!(s.children(1), &[2, 7]);
        assert_eq!(s.take_changed(), vec![1], "only the parent redraws");
        assert_eq!(s.count, 11);
        // The same change again (a replay after reconnecting): nothing moves, nothing counts.
        assert_eq!(s.live_comment(c(7, Some(1))), Applied::Shown);
        assert_eq!((s.children(1), s.count), (&[2, 7][..], 11));
        assert_eq!(s.live_comment(c(8, None)), Applied::Waiting);
        assert_eq!(s.live_comment(c(9, Some(8))), Applied::Waiting);
        assert_eq!(s.live_comment(c(8, None)), Applied::Waiting);
        assert_eq!((s.waiting(), s.count), (2, 13));
        assert_eq!(s.roots(), &[1, 5], "never pushed into view");
        assert_eq!(s.show_waiting(), vec![8]);
        assert_eq!(s.roots(), &[1, 5, 8]);
        assert_eq!(s.children(8), &[9]);
        assert_eq!((s.waiting(), s.count), (0, 13));
    }

    #[test]
    fn a_late_approval_takes_its_place_among_replies() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None), c(3, Some(1)), c(5, Some(1))], None));
        assert_eq!(s.live_comment(c(4, Some(1))), Applied::Shown);
        assert_eq!(s.children(1), &[3, 4, 5]);
    }

    #[test]
    fn the_readers_own_post_is_there_once_whichever_comes_first() {
        for newest in [false, true] {
            let sort = if newest {
                SortOrder::Newest
            } else {
                SortOrder::Oldest
            };
            let mut s = ThreadState::new(sort);
            s.append_page(page(vec![c(1, None)], None));
            // The stream's copy before the POST's answer...
            s.live_comment(c(2, None));
            s.add_new(c(2, None));
            // ...and after it.
            s.add_new(c(3, None));
            s.live_comment(c(3, None));
            assert_eq!(s.waiting(), 0);
            assert_eq!(s.count, 12);
            let mut roots = s.roots().to_vec();
            roots.sort();
            assert_eq!(roots, vec![1, 2, 3]);
        }
    }

    #[test]
    fn changes_to_comments_of_pages_not_loaded_are_left_to_those_pages() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(10, None), c(20, None)], Some("next")));
        // Later than the last shown: on a page not loaded ("Load more" brings it).
        assert_eq!(s.live_comment(c(30, None)), Applied::Nothing);
        assert_eq!(s.count, 10);
        // Earlier than the last shown: a comment approved since, which belongs here.
        assert_eq!(s.live_comment(c(15, None)), Applied::Waiting);
        let mut s = ThreadState::new(SortOrder::Newest);
        s.append_page(page(vec![c(20, None), c(10, None)], Some("next")));
        assert_eq!(s.live_comment(c(5, None)), Applied::Nothing);
        assert_eq!(s.live_comment(c(30, None)), Applied::Waiting);
        let mut s = ThreadState::new(SortOrder::Top);
        s.append_page(page(vec![c(20, None)], Some("next")));
        assert_eq!(s.live_comment(c(30, None)), Applied::Nothing);
    }

    #[test]
    fn shown_new_comments_stay_after_pages_loaded_later() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None)], Some("next")));
        s.add_new(c(9, None));
        s.append_page(page(vec![c(2, None), c(9, None), c(3, None)], None));
        assert_eq!(s.roots(), &[1, 2, 3, 9]);
        s.apply_delete(9, None);
        s.append_page(page(vec![c(4, None)], None));
        assert_eq!(s.roots(), &[1, 2, 3, 4]);
    }

    #[test]
    fn live_removals_and_placeholders() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None), c(2, Some(1)), c(3, None)], None));
        let mut placeholder = c(1, None);
        placeholder.status = CommentStatus::Deleted;
        assert_eq!(s.live_comment(placeholder.clone()), Applied::Shown);
        assert_eq!(s.count, 9);
        assert_eq!(s.live_comment(placeholder), Applied::Shown);
        assert_eq!(s.count, 9, "the same placeholder twice");
        assert_eq!(s.live_removed(3), Applied::Shown);
        assert_eq!(s.live_removed(3), Applied::Nothing);
        assert_eq!(s.roots(), &[1]);
        s.live_comment(c(4, None));
        assert_eq!(s.live_removed(4), Applied::Waiting);
        assert_eq!((s.waiting(), s.count), (0, 8));
        // A placeholder of a comment never seen draws nothing.
        let mut unseen = c(40, None);
        unseen.status = CommentStatus::Deleted;
        assert_eq!(s.live_comment(unseen), Applied::Nothing);
    }

    #[test]
    fn a_hidden_thread_empties_and_locks() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(vec![c(1, None)], None));
        s.live_thread(false, true);
        assert!(s.is_empty() && s.locked && s.hidden);
        assert_eq!(s.count, 0);
        s.live_thread(true, false);
        assert!(s.locked && !s.hidden);
    }

    #[test]
    fn a_refreshed_first_page_updates_in_place_and_keeps_later_pages() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(
            vec![c(1, None), c(2, Some(1)), c(3, None), c(4, None)],
            Some("p2"),
        ));
        s.append_page(page(vec![c(6, None), c(7, None)], Some("p3")));
        s.take_changed();
        let mut edited = c(3, None);
        edited.html = "<p>edited</p>".into();
        // 2 and 1's sibling 4 went; 3 was edited; 5 was approved; 8 replies to 3.
        s.refresh(page(
            vec![c(1, None), edited.clone(), c(8, Some(3)), c(5, None)],
            Some("p2b"),
        ));
        assert_eq!(s.get(3), Some(&edited));
        assert_eq!(s.get(2), None);
        assert_eq!(s.get(4), None);
        assert_eq!(s.children(3), &[8]);
        assert_eq!(
            s.roots(),
            &[1, 3, 6, 7],
            "later pages stay; nothing pushed in"
        );
        assert_eq!(s.waiting(), 1);
        assert_eq!(s.count, 10, "the page's count");
        assert_eq!(s.next_cursor.as_deref(), Some("p3"));
    }

    #[test]
    fn within() {
        let mut s = ThreadState::new(SortOrder::Oldest);
        s.append_page(page(
            vec![c(1, None), c(2, Some(1)), c(3, Some(2)), c(4, None)],
            None,
        ));
        assert!(s.is_within(3, 1) && s.is_within(1, 1));
        assert!(!s.is_within(4, 1) && !s.is_within(1, 3));
    }
}
