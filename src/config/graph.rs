//! Dependency order with cycle detection, for `locals` and for `depends_on`.

use std::collections::BTreeMap;

/// The nodes of `edges` (node -> what it depends on) in an order where every
/// node comes after its dependencies, and every cycle found, each as the path
/// `a, b, …, a`. Edges to unknown nodes are ignored (reported elsewhere).
/// Deterministic: nodes are visited in key order.
pub(super) fn order<K: Ord + Clone>(edges: &BTreeMap<K, Vec<K>>) -> (Vec<K>, Vec<Vec<K>>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<K: Ord + Clone>(
        node: &K,
        edges: &BTreeMap<K, Vec<K>>,
        marks: &mut BTreeMap<K, Mark>,
        path: &mut Vec<K>,
        ordered: &mut Vec<K>,
        cycles: &mut Vec<Vec<K>>,
    ) {
        match marks.get(node) {
            Some(Mark::Done) => return,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.clone());
                cycles.push(cycle);
                return;
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Visiting);
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if edges.contains_key(next) {
                visit(next, edges, marks, path, ordered, cycles);
            }
        }
        path.pop();
        marks.insert(node.clone(), Mark::Done);
        ordered.push(node.clone());
    }
    let mut marks = BTreeMap::new();
    let (mut ordered, mut cycles, mut path) = (Vec::new(), Vec::new(), Vec::new());
    for node in edges.keys() {
        visit(node, edges, &mut marks, &mut path, &mut ordered, &mut cycles);
    }
    (ordered, cycles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        edges: &[(&'static str, &[&'static str])],
    ) -> (Vec<&'static str>, Vec<Vec<&'static str>>) {
        order(&edges.iter().map(|(k, v)| (*k, v.to_vec())).collect())
    }

    #[test]
    fn orders_dependencies_first() {
        let (ordered, cycles) =
            run(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[]), ("d", &["x"])]);
        assert_eq!(ordered, ["c", "b", "a", "d"]);
        assert!(cycles.is_empty());
    }

    #[test]
    fn names_each_cycle() {
        let (_, cycles) = run(&[("a", &["b"]), ("b", &["a"]), ("c", &["c"]), ("d", &["a"])]);
        assert_eq!(cycles, [vec!["a", "b", "a"], vec!["c", "c"]]);
    }
}
