//! Proof of work (hashcash style): find a `counter` such that SHA-256 of
//! `"{challenge}:{counter}"` starts with `difficulty` zero bits. The widget solves, the server
//! verifies; both use this code, so they cannot disagree. Cheap for one comment (about 65,000
//! hashes at 16 bits), expensive for a bot posting thousands.

use sha2::{Digest, Sha256};

/// Leading zero bits of a hash.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

fn hash(challenge: &str, counter: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(challenge.as_bytes());
    h.update(b":");
    h.update(counter.to_string().as_bytes());
    h.finalize().into()
}

/// Whether `counter` solves `challenge` at `difficulty` bits.
pub fn verify(challenge: &str, counter: u64, difficulty: u8) -> bool {
    leading_zero_bits(&hash(challenge, counter)) >= u32::from(difficulty)
}

/// Tries the counters in `from..from + tries`; the first solution, if any. Callers solve in
/// slices so a browser can breathe between them.
pub fn search(challenge: &str, difficulty: u8, from: u64, tries: u64) -> Option<u64> {
    (from..from.saturating_add(tries)).find(|&c| verify(challenge, c, difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_leading_zero_bits() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x80]), 16);
        assert_eq!(leading_zero_bits(&[0, 0x0f]), 12);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_found_solution_verifies_and_others_mostly_do_not() {
        let c = "v1.1.12.abc.def";
        let n = search(c, 12, 0, 1 << 20).expect("12 bits are found within a million tries");
        assert!(verify(c, n, 12));
        // Difficulty 0 accepts anything; a solution for 12 bits is one for fewer.
        assert!(verify(c, 7, 0));
        assert!(verify(c, n, 8));
        let failures = (0..200).filter(|&k| !verify(c, k, 8)).count();
        assert!(
            failures > 150,
            "8 bits should reject most counters, rejected {failures}"
        );
    }
}
