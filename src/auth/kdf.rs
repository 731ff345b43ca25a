//! PBKDF2-HMAC-SHA256, written for the one shape of work this service does: hundreds of thousands
//! of iterations over a 32-byte block.
//!
//! The `pbkdf2` crate is correct and general: every iteration runs a whole HMAC through the
//! buffered `Digest` interface, copying, padding and counting as it goes. Here the two HMAC key
//! states are computed once per password, and each later iteration is exactly two runs of the
//! SHA-256 compression function (`sha2::compress256`) over blocks whose padding was written once.
//! The results equal the `pbkdf2` crate's; the tests check both against each other and against
//! published vectors.

use hmac::{Hmac, Mac};
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const BLOCK_BYTES: usize = 64;
const DIGEST_BYTES: usize = 32;

/// Fills `out` with PBKDF2-HMAC-SHA256 of `password` and `salt` over `rounds` iterations.
///
/// `rounds` of 0 is treated as 1, as the `pbkdf2` crate does not allow it either way: callers
/// refuse a zero count before they get here.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    let keyed = KeyedStates::new(password);
    let mac = Hmac::<Sha256>::new_from_slice(password).expect("BUG: HMAC takes any key");

    for (index, chunk) in out.chunks_mut(DIGEST_BYTES).enumerate() {
        // The first iteration hashes the salt and the block number, of any length: it runs once
        // per block, so the general HMAC does it.
        let block_number = u32::try_from(index + 1).expect("BUG: output far too long");
        let mut first = mac.clone();
        first.update(salt);
        first.update(&block_number.to_be_bytes());
        let u1: [u8; DIGEST_BYTES] = first.finalize().into_bytes().into();

        let block = keyed.iterate(words(&u1), rounds.max(1) - 1);
        for (target, word) in chunk.chunks_mut(4).zip(block) {
            target.copy_from_slice(&word.to_be_bytes()[..target.len()]);
        }
    }
}

/// The SHA-256 states after one block of the key XOR `ipad` and of the key XOR `opad`: every
/// HMAC with this key starts from them.
struct KeyedStates {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl KeyedStates {
    fn new(password: &[u8]) -> Self {
        // HMAC hashes a key longer than a block down to a digest first, then pads with zeros.
        let mut key = [0u8; BLOCK_BYTES];
        if password.len() > BLOCK_BYTES {
            key[..DIGEST_BYTES].copy_from_slice(&Sha256::digest(password));
        } else {
            key[..password.len()].copy_from_slice(password);
        }

        let state_after = |pad: u8| {
            let mut block = GenericArray::default();
            for (target, byte) in block.iter_mut().zip(key) {
                *target = byte ^ pad;
            }
            let mut state = INITIAL_STATE;
            sha2::compress256(&mut state, &[block]);
            state
        };
        KeyedStates {
            inner: state_after(0x36),
            outer: state_after(0x5c),
        }
    }

    /// Runs `count` further iterations from `u1`, the first, and returns the XOR of them all.
    fn iterate(&self, u1: [u32; 8], count: u32) -> [u32; 8] {
        // Both blocks hash a 32-byte message after a 64-byte key block: the message, then 0x80,
        // zeros, and the bit length 96 * 8 = 768 in the last two bytes. Only the message bytes
        // change between iterations.
        let mut block = GenericArray::<u8, _>::default();
        block[DIGEST_BYTES] = 0x80;
        block[BLOCK_BYTES - 2..].copy_from_slice(&768u16.to_be_bytes());

        let mut u = u1;
        let mut sum = u1;
        for _ in 0..count {
            let mut state = self.inner;
            write_words(&mut block, &u);
            sha2::compress256(&mut state, std::slice::from_ref(&block));

            u = self.outer;
            write_words(&mut block, &state);
            sha2::compress256(&mut u, std::slice::from_ref(&block));

            for (total, word) in sum.iter_mut().zip(u) {
                *total ^= word;
            }
        }
        sum
    }
}

fn words(bytes: &[u8; DIGEST_BYTES]) -> [u32; 8] {
    std::array::from_fn(|i| u32::from_be_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap()))
}

fn write_words(block: &mut [u8], words: &[u32; 8]) {
    for (target, word) in block.chunks_exact_mut(4).zip(words) {
        target.copy_from_slice(&word.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        pbkdf2_hmac_sha256(password, salt, rounds, &mut out);
        out
    }

    fn reference(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out);
        out
    }

    fn hex(text: &str) -> Vec<u8> {
        let digits: String = text.split_whitespace().collect();
        (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_7914_vectors() {
        // RFC 7914, section 11: PBKDF2-HMAC-SHA256 test vectors.
        assert_eq!(
            derive(b"passwd", b"salt", 1, 64),
            hex("55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05
                 f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
                 49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31
                 7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83")
        );
        assert_eq!(
            derive(b"Password", b"NaCl", 80_000, 64),
            hex("4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9
                 64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56
                 a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17
                 6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d")
        );
    }

    #[test]
    fn equals_the_pbkdf2_crate_on_edge_shapes() {
        let long_key = [0xa5; 200];
        let cases: [(&[u8], &[u8], u32, usize); 8] = [
            (b"", b"", 1, 32),
            (b"", b"salt", 2, 32),
            (&long_key[..64], b"exactly one block of key", 3, 32),
            (&long_key[..65], b"one byte over a block", 3, 32),
            (&long_key, &long_key, 5, 32),
            (b"pw", b"s", 1_000, 1),
            (b"pw", b"s", 1_000, 33),
            (b"pw", &[0; 100], 17, 95),
        ];

        for (password, salt, rounds, len) in cases {
            assert_eq!(
                derive(password, salt, rounds, len),
                reference(password, salt, rounds, len),
                "password {} bytes, salt {} bytes, {rounds} rounds, {len} bytes out",
                password.len(),
                salt.len()
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn equals_the_pbkdf2_crate_on_random_input(
            password in proptest::collection::vec(proptest::num::u8::ANY, 0..150),
            salt in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
            rounds in 1u32..300,
            len in 1usize..100,
        ) {
            proptest::prop_assert_eq!(
                derive(&password, &salt, rounds, len),
                reference(&password, &salt, rounds, len)
            );
        }
    }
}
