//! The two proofs a caller gives, and the limit on how often the second may be tried.

pub mod attempts;
pub mod foreign_hash;
pub mod kdf;
pub mod keys;
pub mod password;
pub mod token;
