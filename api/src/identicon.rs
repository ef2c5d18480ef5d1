//! Avatars drawn locally from the server's avatar seed: a symmetric 5×5 pattern in a colour
//! derived from the seed. No third-party avatar service ever sees a reader.

/// Cells to fill in a 5×5 grid (column, row), and the hue (0–359) of the colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identicon {
    pub cells: Vec<(u8, u8)>,
    pub hue: u16,
}

/// FNV-1a: a small, stable hash so any seed (even a non-hex one) gives a pattern.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn identicon(seed: &str) -> Identicon {
    let h = fnv1a(seed);
    let mut cells = Vec::new();
    // 15 bits choose the left three columns; the right two mirror them.
    for row in 0..5u8 {
        for col in 0..3u8 {
            if h >> (row * 3 + col) & 1 == 1 {
                cells.push((col, row));
                if col < 2 {
                    cells.push((4 - col, row));
                }
            }
        }
    }
    Identicon {
        cells,
        hue: ((h >> 20) % 360) as u16,
    }
}

impl Identicon {
    /// The cells as one SVG path (a 1×1 square each): one element per avatar rather than one
    /// per cell, which made avatars the bulk of a first render's DOM calls.
    pub fn path(&self) -> String {
        let mut d = String::with_capacity(self.cells.len() * 14);
        for &(x, y) in &self.cells {
            d.push('M');
            d.push(char::from(b'0' + x));
            d.push(' ');
            d.push(char::from(b'0' + y));
            d.push_str("h1v1h-1z");
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        assert_eq!(identicon("f98692faed4d251b"), identicon("f98692faed4d251b"));
        assert_ne!(identicon("f98692faed4d251b"), identicon("0123456789abcdef"));
    }

    #[test]
    fn one_square_per_cell_in_the_path() {
        let icon = Identicon {
            cells: vec![(0, 1), (4, 1), (2, 3)],
            hue: 0,
        };
        assert_eq!(icon.path(), "M0 1h1v1h-1zM4 1h1v1h-1zM2 3h1v1h-1z");
        let real = identicon("f98692faed4d251b");
        assert_eq!(real.path().matches('M').count(), real.cells.len());
    }

    #[test]
    fn mirrored_and_in_bounds() {
        for seed in ["a", "b", "", "f98692faed4d251b", "ffffffffffffffff"] {
            let i = identicon(seed);
            assert!(i.hue < 360);
            for &(c, r) in &i.cells {
                assert!(c < 5 && r < 5);
                assert!(
                    i.cells.contains(&(4 - c, r)),
                    "{seed}: ({c},{r}) not mirrored"
                );
            }
        }
    }
}
