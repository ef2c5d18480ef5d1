//! Flat comment lists to trees and back. The server stores comments flat (`parent` ids) and
//! sends them in display order; the widget rebuilds the tree. Both use these functions.
//!
//! Everything is iterative: a hostile or buggy input (a very deep chain, a cycle, duplicate
//! ids) never overflows the stack and never drops an item.

use std::collections::HashMap;

/// Anything placed in a comment tree.
pub trait TreeItem {
    fn id(&self) -> i64;
    fn parent(&self) -> Option<i64>;
}

impl TreeItem for crate::dto::Comment {
    fn id(&self) -> i64 {
        self.id
    }
    fn parent(&self) -> Option<i64> {
        self.parent
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<T> {
    pub item: T,
    pub depth: usize,
    pub children: Vec<Node<T>>,
}

impl<T> Node<T> {
    /// Number of items in this subtree, this one included.
    pub fn size(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            stack.extend(node.children.iter());
        }
        n
    }
}

/// Pre-order (index, depth) of `items`: roots in input order, each followed by its replies in
/// input order. Items whose parent is absent are roots; items caught in a cycle become roots
/// where the cycle is first met, so every item appears exactly once.
fn preorder<T: TreeItem>(items: &[T]) -> Vec<(usize, usize)> {
    let present: std::collections::HashSet<i64> = items.iter().map(TreeItem::id).collect();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.parent() {
            Some(p) if p != item.id() && present.contains(&p) => {
                children.entry(p).or_default().push(i)
            }
            _ => roots.push(i),
        }
    }
    let mut visited = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let starts = roots.into_iter().chain(0..items.len());
    for start in starts {
        if visited[start] {
            continue;
        }
        stack.push((start, 0));
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut visited[i], true) {
                continue;
            }
            order.push((i, depth));
            if let Some(kids) = children.get(&items[i].id()) {
                stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
            }
        }
    }
    order
}

/// Reorders a flat list for display: see [`preorder`].
pub fn display_order<T: TreeItem>(items: Vec<T>) -> Vec<T> {
    let order = preorder(&items);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(i, _)| slots[i].take())
        .collect()
}

/// Builds the forest of `items`, keeping input order among siblings.
pub fn build_tree<T: TreeItem>(items: Vec<T>) -> Vec<Node<T>> {
    let order = preorder(&items);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    // Walk the pre-order backwards: when a node is reached, its children are the finished
    // nodes on top of the stack that sit one level deeper.
    let mut stack: Vec<Node<T>> = Vec::new();
    for &(i, depth) in order.iter().rev() {
        let mut children = Vec::new();
        while stack.last().is_some_and(|n| n.depth > depth) {
            children.push(stack.pop().expect("checked above"));
        }
        let item = slots[i].take().expect("pre-order visits each item once");
        stack.push(Node {
            item,
            depth,
            children,
        });
    }
    stack.reverse();
    stack
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct C(i64, Option<i64>);
    impl TreeItem for C {
        fn id(&self) -> i64 {
            self.0
        }
        fn parent(&self) -> Option<i64> {
            self.1
        }
    }

    fn ids(v: &[C]) -> Vec<i64> {
        v.iter().map(|c| c.0).collect()
    }

    #[test]
    fn orders_depth_first_keeping_sibling_order() {
        // Roots 5 then 1 (e.g. newest first); replies in chronological input order.
        let flat = vec![
            C(5, None),
            C(1, None),
            C(2, Some(1)),
            C(3, Some(2)),
            C(4, Some(1)),
            C(6, Some(5)),
        ];
        assert_eq!(ids(&display_order(flat)), vec![5, 6, 1, 2, 3, 4]);
    }

    #[test]
    fn builds_nested_tree_with_depths() {
        let flat = vec![
            C(1, None),
            C(2, Some(1)),
            C(3, Some(2)),
            C(4, Some(1)),
            C(5, None),
        ];
        let tree = build_tree(flat);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].item.0, 1);
        assert_eq!(tree[0].size(), 4);
        assert_eq!(
            tree[0]
                .children
                .iter()
                .map(|n| n.item.0)
                .collect::<Vec<_>>(),
            vec![2, 4]
        );
        assert_eq!(tree[0].children[0].children[0].item.0, 3);
        assert_eq!(tree[0].children[0].children[0].depth, 2);
        assert_eq!(tree[1].item.0, 5);
        assert!(tree[1].children.is_empty());
    }

    #[test]
    fn orphans_become_roots() {
        let flat = vec![C(2, Some(99)), C(3, Some(2))];
        let tree = build_tree(flat);
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].children[0].item.0, 3);
    }

    #[test]
    fn cycles_and_self_parents_lose_nothing() {
        let flat = vec![C(1, Some(2)), C(2, Some(1)), C(3, Some(3)), C(4, Some(1))];
        let ordered = display_order(flat.clone());
        let mut got = ids(&ordered);
        got.sort();
        assert_eq!(got, vec![1, 2, 3, 4]);
        assert_eq!(build_tree(flat).iter().map(Node::size).sum::<usize>(), 4);
    }

    #[test]
    fn duplicate_ids_lose_nothing() {
        let flat = vec![C(1, None), C(1, None), C(2, Some(1))];
        assert_eq!(display_order(flat).len(), 3);
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let n = 200_000;
        let flat: Vec<C> = (0..n).map(|i| C(i, (i > 0).then(|| i - 1))).collect();
        assert_eq!(display_order(flat.clone()).len(), n as usize);
        let tree = build_tree(flat);
        assert_eq!(tree.len(), 1);
        // Dropping a 200,000-deep tree recursively would overflow; flatten it first.
        let mut stack = tree;
        let mut count = 0;
        while let Some(mut node) = stack.pop() {
            count += 1;
            stack.append(&mut node.children);
        }
        assert_eq!(count, n as usize);
    }
}
