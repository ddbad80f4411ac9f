//! IPv4 prefixes and sets of addresses as sorted, disjoint ranges: the arithmetic of
//! the path analysis. Ranges are half-open over `u64` so the whole space
//! (`0..2^32`) has an end.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// An IPv4 prefix (`10.0.0.0/16`). Host bits are cleared on parse: AWS shows routes in
/// that form, and a prefix here only ever selects addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    addr: u32,
    len: u8,
}

/// A text that is not an IPv4 prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IPv4 prefix (a.b.c.d/n)")]
pub struct PrefixError(pub String);

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

impl Prefix {
    /// The prefix of `addr` with `len` bits (host bits cleared). `len` above 32 is 32.
    pub fn new(addr: u32, len: u8) -> Self {
        let len = len.min(32);
        Prefix { addr: addr & mask(len), len }
    }

    /// `0.0.0.0/0`.
    pub const ANY: Prefix = Prefix { addr: 0, len: 0 };

    pub fn len(&self) -> u8 {
        self.len
    }

    /// Never empty: a prefix holds at least one address. (Named for clippy's
    /// `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn first(&self) -> u32 {
        self.addr
    }

    pub fn last(&self) -> u32 {
        self.addr | !mask(self.len)
    }

    /// The half-open range of its addresses.
    pub fn range(&self) -> (u64, u64) {
        (u64::from(self.first()), u64::from(self.last()) + 1)
    }

    pub fn contains_addr(&self, a: u32) -> bool {
        a & mask(self.len) == self.addr
    }

    pub fn contains(&self, other: &Prefix) -> bool {
        self.len <= other.len && self.contains_addr(other.addr)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PrefixError(s.to_string());
        let (a, l) = s.trim().split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
        let len: u8 = l.parse().map_err(|_| bad())?;
        if len > 32 {
            return Err(bad());
        }
        Ok(Prefix::new(u32::from(addr), len))
    }
}

/// The end of the address space, exclusive.
pub const SPACE_END: u64 = 1 << 32;

/// A set of addresses: sorted, disjoint, non-adjacent half-open ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddrSet {
    ranges: Vec<(u64, u64)>,
}

impl AddrSet {
    pub fn empty() -> Self {
        AddrSet::default()
    }

    pub fn all() -> Self {
        AddrSet { ranges: vec![(0, SPACE_END)] }
    }

    pub fn of_prefixes<'a>(prefixes: impl IntoIterator<Item = &'a Prefix>) -> Self {
        let mut s = AddrSet::empty();
        for p in prefixes {
            s.insert(p.range());
        }
        s
    }

    /// Adds `[lo, hi)`.
    pub fn insert(&mut self, (lo, hi): (u64, u64)) {
        if lo >= hi {
            return;
        }
        self.ranges.push((lo, hi));
        self.ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for &(l, h) in &self.ranges {
            match merged.last_mut() {
                Some(last) if l <= last.1 => last.1 = last.1.max(h),
                _ => merged.push((l, h)),
            }
        }
        self.ranges = merged;
    }

    /// The addresses of `self` not in `other`.
    pub fn minus(&self, other: &AddrSet) -> AddrSet {
        let mut out = Vec::new();
        for &(mut lo, hi) in &self.ranges {
            for &(ol, oh) in &other.ranges {
                if oh <= lo || ol >= hi {
                    continue;
                }
                if ol > lo {
                    out.push((lo, ol));
                }
                lo = lo.max(oh);
                if lo >= hi {
                    break;
                }
            }
            if lo < hi {
                out.push((lo, hi));
            }
        }
        AddrSet { ranges: out }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains_addr(&self, a: u32) -> bool {
        let a = u64::from(a);
        self.ranges.iter().any(|&(l, h)| l <= a && a < h)
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// The fewest prefixes that cover exactly this set.
    pub fn prefixes(&self) -> Vec<Prefix> {
        self.ranges.iter().flat_map(|&(l, h)| cover(l, h)).collect()
    }
}

/// The fewest prefixes covering exactly `[lo, hi)`.
pub fn cover(mut lo: u64, hi: u64) -> Vec<Prefix> {
    let mut out = Vec::new();
    while lo < hi {
        // The largest aligned block starting at `lo` that fits.
        let mut size = if lo == 0 { SPACE_END } else { 1u64 << lo.trailing_zeros().min(32) };
        while lo + size > hi {
            size >>= 1;
        }
        let len = 32 - size.trailing_zeros() as u8;
        out.push(Prefix::new(lo as u32, len));
        lo += size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    #[test]
    fn parses_clears_host_bits_and_displays() {
        assert_eq!(p("10.1.2.3/16").to_string(), "10.1.0.0/16");
        assert_eq!(p("0.0.0.0/0"), Prefix::ANY);
        assert!("10.0.0.0".parse::<Prefix>().is_err());
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!(p("10.0.0.0/8").contains(&p("10.20.0.0/20")));
        assert!(!p("10.20.0.0/20").contains(&p("10.0.0.0/8")));
        assert_eq!(p("0.0.0.0/0").range(), (0, SPACE_END));
    }

    #[test]
    fn set_difference_and_cover() {
        let all = AddrSet::all();
        let env = AddrSet::of_prefixes(&[p("10.0.0.0/8"), p("100.64.0.0/22")]);
        let ext = all.minus(&env);
        assert!(!ext.contains_addr(u32::from(Ipv4Addr::new(10, 9, 9, 9))));
        assert!(ext.contains_addr(u32::from(Ipv4Addr::new(8, 8, 8, 8))));
        assert!(ext.contains_addr(u32::from(Ipv4Addr::new(100, 64, 4, 0))));
        let cidrs: Vec<String> = env.prefixes().iter().map(ToString::to_string).collect();
        assert_eq!(cidrs, ["10.0.0.0/8", "100.64.0.0/22"]);
        assert_eq!(cover(0, SPACE_END), vec![Prefix::ANY]);
        let c: Vec<String> = cover(1, 4).iter().map(ToString::to_string).collect();
        assert_eq!(c, ["0.0.0.1/32", "0.0.0.2/31"]);
        assert!(all.minus(&all).is_empty());
    }
}
