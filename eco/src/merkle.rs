//! RFC 6962 Merkle tree hashing, audit and consistency proofs, and their
//! verification with the RFC 9162 section 2.1.3.2 and 2.1.4.2 algorithms.

use sha2::{Digest as _, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A hash is not 32 bytes long.
    #[error("a hash is {0} bytes long, not 32")]
    BadHashLength(usize),
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The claimed index.
        index: u64,
        /// The claimed size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for the sizes given.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The smaller tree is larger than the larger one.
    #[error("tree size {size1} is larger than {size2}")]
    SizesReversed {
        /// The old size.
        size1: u64,
        /// The new size.
        size2: u64,
    },
    /// A consistency proof from an empty tree proves nothing.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyOldTree,
    /// The recomputed root is not the expected root.
    #[error("the recomputed root does not match")]
    RootMismatch,
}

/// Hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Leaf hash: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Reads a hash from a byte slice, checking its length.
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, ProofError> {
    bytes
        .try_into()
        .map_err(|_| ProofError::BadHashLength(bytes.len()))
}

/// An append-only Merkle tree that keeps every complete subtree's hash, so
/// that roots and proofs for any earlier size cost O(log² n).
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// `levels[k][i]` is the hash of leaves `i * 2^k .. (i + 1) * 2^k`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> MerkleTree {
        MerkleTree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and returns its index.
    pub fn push(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let index = self.levels[0].len() - 1;
        let mut level = 0;
        let mut position = index;
        while position % 2 == 1 {
            let left = self.levels[level][position - 1];
            let right = self.levels[level][position];
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(node_hash(&left, &right));
            level += 1;
            position /= 2;
        }
        index as u64
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// The root of the first `size` leaves (None when `size` exceeds the tree).
    pub fn root(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        Some(if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Some(path)
    }

    /// The consistency proof from the first `size1` leaves to the first `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Option<Vec<Hash>> {
        if size1 == 0 || size1 > size2 || size2 > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        self.subproof(size1, 0, size2, true, &mut proof);
        Some(proof)
    }

    /// MTH of leaves `start .. start + size` (`size >= 1`).
    fn subtree(&self, start: u64, size: u64) -> Hash {
        if size.is_power_of_two() && start.is_multiple_of(size) {
            let level = size.trailing_zeros() as usize;
            return self.levels[level][(start / size) as usize];
        }
        let k = split(size);
        node_hash(&self.subtree(start, k), &self.subtree(start + k, size - k))
    }

    /// RFC 6962 PATH(m, D[start .. start + size]), appended leaf-first.
    fn path(&self, m: u64, start: u64, size: u64, out: &mut Vec<Hash>) {
        if size <= 1 {
            return;
        }
        let k = split(size);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree(start + k, size - k));
        } else {
            self.path(m - k, start + k, size - k, out);
            out.push(self.subtree(start, k));
        }
    }

    /// RFC 6962 SUBPROOF(m, D[start .. start + size], whole).
    fn subproof(&self, m: u64, start: u64, size: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == size {
            if !whole {
                out.push(self.subtree(start, size));
            }
            return;
        }
        let k = split(size);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.subtree(start + k, size - k));
        } else {
            self.subproof(m - k, start + k, size - k, false, out);
            out.push(self.subtree(start, k));
        }
    }
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Verifies an RFC 9162 inclusion proof of `leaf` at `index` in a tree of
/// `size` leaves whose root is `root`. All hashes are given as raw bytes so
/// that a wrong length is reported, not assumed away.
pub fn verify_inclusion(
    leaf: &[u8],
    index: u64,
    size: u64,
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    let leaf = hash_from_slice(leaf)?;
    let root = hash_from_slice(root)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = leaf;
    for p in proof {
        let p = hash_from_slice(p)?;
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(&p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, &p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies an RFC 9162 consistency proof between a tree of `size1` leaves
/// with root `root1` and a tree of `size2` leaves with root `root2`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Vec<u8>],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if size1 == size2 {
        // Equal sizes: the proof is empty and the roots are the same bytes.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let root1 = hash_from_slice(root1)?;
    let root2 = hash_from_slice(root2)?;
    let mut path = proof
        .iter()
        .map(|p| hash_from_slice(p))
        .collect::<Result<Vec<_>, _>>()?;
    if size1.is_power_of_two() {
        path.insert(0, root1);
    }
    let Some((&first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let mut f_n = size1 - 1;
    let mut s_n = size2 - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = first;
    let mut s_r = first;
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if f_r != root1 || s_r != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6962 MTH computed directly from the definition, as an oracle.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn tree_of(n: u64) -> (MerkleTree, Vec<Hash>) {
        let mut tree = MerkleTree::new();
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for l in &leaves {
            tree.push(*l);
        }
        (tree, leaves)
    }

    fn to_vecs(path: &[Hash]) -> Vec<Vec<u8>> {
        path.iter().map(|h| h.to_vec()).collect()
    }

    #[test]
    fn roots_match_the_definition_for_every_prefix() {
        let (tree, leaves) = tree_of(70);
        for n in 0..=70 {
            assert_eq!(tree.root(n), Some(reference_root(&leaves[..n as usize])));
        }
        assert_eq!(tree.root(71), None);
    }

    #[test]
    fn every_leaf_of_every_size_up_to_64_proves_and_any_bit_flip_fails() {
        // A tree larger than 64 so that a size changed upwards still has a
        // root: a verifier compares against the signed root of the size it
        // is told, so a changed size comes with that size's root.
        let (tree, _) = tree_of(128);
        for size in 1..=64u64 {
            let root = tree.root(size).unwrap();
            for index in 0..size {
                let leaf = tree.leaf(index).unwrap();
                let path = to_vecs(&tree.inclusion_proof(index, size).unwrap());
                assert_eq!(verify_inclusion(&leaf, index, size, &path, &root), Ok(()));
                // Flip one bit of the leaf, of the index, of the size, and of
                // each path element: each must fail.
                let mut bad_leaf = leaf;
                bad_leaf[(index % 32) as usize] ^= 1 << (size % 8);
                assert!(verify_inclusion(&bad_leaf, index, size, &path, &root).is_err());
                for bit in 0..7 {
                    let i2 = index ^ (1 << bit);
                    if i2 != index {
                        assert!(verify_inclusion(&leaf, i2, size, &path, &root).is_err());
                    }
                    let s2 = size ^ (1 << bit);
                    if s2 != size {
                        let root2 = tree.root(s2).unwrap();
                        assert!(
                            verify_inclusion(&leaf, index, s2, &path, &root2).is_err(),
                            "size {size} -> {s2}, index {index}"
                        );
                    }
                }
                for j in 0..path.len() {
                    let mut bad = path.clone();
                    bad[j][j % 32] ^= 0x80;
                    assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_between_all_sizes_up_to_40() {
        let (tree, _) = tree_of(41);
        for size2 in 1..=40 {
            for size1 in 1..=size2 {
                let proof = to_vecs(&tree.consistency_proof(size1, size2).unwrap());
                let (r1, r2) = (tree.root(size1).unwrap(), tree.root(size2).unwrap());
                assert_eq!(verify_consistency(size1, size2, &proof, &r1, &r2), Ok(()));
                if size1 < size2 {
                    assert!(verify_consistency(size1, size2, &proof, &r2, &r1).is_err());
                    let r3 = tree.root(size2 + 1).unwrap();
                    assert!(verify_consistency(size1, size2 + 1, &proof, &r1, &r3).is_err());
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_single_bit_change_of_a_proof_fails(
            size in 1u64..200, index_seed in any::<u64>(), bit in 0usize..256, which in any::<usize>()
        ) {
            let (tree, _) = tree_of(size);
            let index = index_seed % size;
            let root = tree.root(size).unwrap();
            let leaf = tree.leaf(index).unwrap();
            let mut path = to_vecs(&tree.inclusion_proof(index, size).unwrap());
            prop_assert!(verify_inclusion(&leaf, index, size, &path, &root).is_ok());
            if !path.is_empty() {
                let j = which % path.len();
                path[j][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(&leaf, index, size, &path, &root).is_err());
            }
            let mut bad_root = root;
            bad_root[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(&leaf, index, size, &to_vecs(&tree.inclusion_proof(index, size).unwrap()), &bad_root).is_err());
        }
    }
}
