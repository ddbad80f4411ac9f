//! IPv4 CIDR arithmetic and deterministic subnet carving.
//!
//! Carving is a pure function so that `plan`, `apply` and `destroy` agree on
//! every subnet CIDR without storing them: the same blueprint always yields
//! the same subnets, on any machine, in any run.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network in CIDR notation whose host bits are all zero.
///
/// Host bits are rejected at parse time because AWS silently rounds them
/// away in some APIs and refuses them in others; a blueprint should say
/// exactly what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Net {
    addr: u32,
    prefix: u8,
}

/// Why a CIDR string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not of the form `a.b.c.d/n`.
    #[error("`{0}` is not an IPv4 CIDR (expected a.b.c.d/n)")]
    Syntax(String),
    /// The prefix length is larger than 32.
    #[error("prefix length /{0} is out of range (0-32)")]
    Prefix(u8),
    /// Bits below the prefix are set; `network` is what was probably meant.
    #[error("`{given}` has host bits set")]
    HostBits {
        /// The text as written.
        given: String,
        /// The network address with the host bits cleared.
        network: Ipv4Net,
    },
}

impl Ipv4Net {
    /// Builds a network, clearing nothing: fails if host bits are set.
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Self, CidrError> {
        if prefix > 32 {
            return Err(CidrError::Prefix(prefix));
        }
        let a = u32::from(addr);
        let net = Ipv4Net { addr: a & mask(prefix), prefix };
        if net.addr != a {
            return Err(CidrError::HostBits { given: format!("{addr}/{prefix}"), network: net });
        }
        Ok(net)
    }

    /// The network address.
    pub fn addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Number of addresses in the network (2^(32-prefix)).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// First address as an integer.
    pub fn first(&self) -> u32 {
        self.addr
    }

    /// Last address as an integer.
    pub fn last(&self) -> u32 {
        self.addr | !mask(self.prefix)
    }

    /// True if the two networks share at least one address.
    ///
    /// Transit gateway routing needs every attached VPC to be disjoint.
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }

    /// True if `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Ipv4Net) -> bool {
        self.first() <= other.first() && other.last() <= self.last()
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr(), self.prefix)
    }
}

impl FromStr for Ipv4Net {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || CidrError::Syntax(s.to_string());
        let (a, p) = s.split_once('/').ok_or_else(syntax)?;
        // Ipv4Addr::from_str rejects leading zeros and out-of-range octets.
        let addr: Ipv4Addr = a.parse().map_err(|_| syntax())?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let prefix: u8 = p.parse().map_err(|_| syntax())?;
        Ipv4Net::new(addr, prefix)
    }
}

/// Why a set of subnets cannot be carved out of a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarveError {
    /// A tier asks for a subnet larger than the network itself, or smaller than /32.
    #[error("subnet prefix /{prefix} does not fit in {network} (must be between /{} and /32)", network.prefix())]
    Prefix {
        /// The network being carved.
        network: Ipv4Net,
        /// The offending prefix length.
        prefix: u8,
    },
    /// The subnets together need more addresses than the network has.
    #[error("subnets need {needed} addresses but {network} has {available}")]
    DoesNotFit {
        /// The network being carved.
        network: Ipv4Net,
        /// Sum of all subnet sizes.
        needed: u64,
        /// Size of the network.
        available: u64,
    },
}

/// One carved subnet: which tier, which AZ, which CIDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarvedSubnet<T> {
    /// The tier label given to [`carve`].
    pub tier: T,
    /// The availability zone name given to [`carve`].
    pub az: String,
    /// The allocated network.
    pub cidr: Ipv4Net,
}

/// Allocates one subnet per (tier, AZ) inside `network`.
///
/// Subnets are placed from the bottom of the network, largest first, ties
/// broken by tier order then AZ order. Because every size is a power of two
/// and sizes never grow, each subnet starts on its own alignment boundary,
/// so no space is wasted and the carving fits whenever the sizes add up.
/// The result is listed tier by tier, AZ by AZ, in input order.
pub fn carve<T: Clone>(
    network: Ipv4Net,
    azs: &[String],
    tiers: &[(T, u8)],
) -> Result<Vec<CarvedSubnet<T>>, CarveError> {
    for (_, p) in tiers {
        if *p < network.prefix() || *p > 32 {
            return Err(CarveError::Prefix { network, prefix: *p });
        }
    }
    let needed = needed_addresses(azs.len(), tiers.iter().map(|(_, p)| *p));
    if needed > network.size() {
        return Err(CarveError::DoesNotFit { network, needed, available: network.size() });
    }
    let mut order: Vec<(usize, usize)> =
        (0..tiers.len()).flat_map(|t| (0..azs.len()).map(move |a| (t, a))).collect();
    // Stable sort: equal prefixes keep tier-major, AZ-minor order.
    order.sort_by_key(|&(t, _)| tiers[t].1);
    let mut cidrs = vec![None; tiers.len() * azs.len()];
    let mut cursor = u64::from(network.first());
    for (t, a) in order {
        let prefix = tiers[t].1;
        let net = Ipv4Net { addr: cursor as u32, prefix };
        cursor += net.size();
        cidrs[t * azs.len() + a] = Some(net);
    }
    Ok(cidrs
        .into_iter()
        .enumerate()
        .map(|(i, c)| CarvedSubnet {
            tier: tiers[i / azs.len()].0.clone(),
            az: azs[i % azs.len()].clone(),
            cidr: c.expect("every slot is allocated"),
        })
        .collect())
}

/// Addresses needed for `az_count` copies of subnets with these prefixes.
pub fn needed_addresses(az_count: usize, prefixes: impl IntoIterator<Item = u8>) -> u64 {
    prefixes.into_iter().map(|p| 1u64 << (32 - u32::from(p.min(32)))).sum::<u64>() * az_count as u64
}

/// Smallest prefix length whose network holds `addresses` addresses.
pub fn prefix_for(addresses: u64) -> u8 {
    let mut p = 32u8;
    while p > 0 && (1u64 << (32 - u32::from(p))) < addresses {
        p -= 1;
    }
    p
}

/// The subnet tiers of the inspection VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InspectionTier {
    /// Transit gateway attachment subnets.
    Transit,
    /// Network Firewall endpoint subnets.
    Firewall,
    /// Public subnets (reserved for controlled egress).
    Public,
}

/// Carves a spoke VPC: one subnet per tier per AZ.
pub fn carve_vpc(
    vpc: &crate::model::Vpc,
    azs: &[String],
) -> Result<Vec<CarvedSubnet<crate::model::SubnetTier>>, CarveError> {
    carve(vpc.cidr.value, azs, &vpc.subnets.tiers())
}

/// Carves the inspection VPC: transit, firewall and public subnets per AZ
/// (each /28 unless the blueprint says otherwise).
pub fn carve_inspection(
    vpc: &crate::model::InspectionVpc,
    azs: &[String],
) -> Result<Vec<CarvedSubnet<InspectionTier>>, CarveError> {
    carve(
        vpc.cidr.value,
        azs,
        &[
            (InspectionTier::Transit, vpc.subnets.transit.value),
            (InspectionTier::Firewall, vpc.subnets.firewall.value),
            (InspectionTier::Public, vpc.subnets.public.value),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn azs(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("eu-central-1{}", (b'a' + i as u8) as char)).collect()
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(net("10.0.0.0/16").to_string(), "10.0.0.0/16");
        assert_eq!(net("0.0.0.0/0").size(), 1 << 32);
        assert!(matches!(
            "10.0.0.1/16".parse::<Ipv4Net>(),
            Err(CidrError::HostBits { network, .. }) if network == net("10.0.0.0/16")
        ));
        assert!(matches!("10.0.0.0/33".parse::<Ipv4Net>(), Err(CidrError::Prefix(33))));
        for bad in ["10.0.0.0", "10.0.0/8", "10.0.0.256/24", "10.0.0.0/", "10.0.0.0/+8", "x/8"] {
            assert!(matches!(bad.parse::<Ipv4Net>(), Err(CidrError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn overlap_and_contains() {
        assert!(net("10.0.0.0/16").overlaps(&net("10.0.128.0/17")));
        assert!(!net("10.0.0.0/16").overlaps(&net("10.1.0.0/16")));
        assert!(net("10.0.0.0/16").contains(&net("10.0.255.0/24")));
        assert!(!net("10.0.0.0/24").contains(&net("10.0.0.0/16")));
    }

    #[test]
    fn carves_largest_first() {
        let tiers = [("cp", 28), ("dp", 20), ("ep", 24), ("tr", 28)];
        let got = carve(net("10.10.0.0/16"), &azs(2), &tiers).unwrap();
        let s: Vec<String> =
            got.iter().map(|c| format!("{} {} {}", c.tier, c.az, c.cidr)).collect();
        assert_eq!(
            s,
            [
                "cp eu-central-1a 10.10.34.0/28",
                "cp eu-central-1b 10.10.34.16/28",
                "dp eu-central-1a 10.10.0.0/20",
                "dp eu-central-1b 10.10.16.0/20",
                "ep eu-central-1a 10.10.32.0/24",
                "ep eu-central-1b 10.10.33.0/24",
                "tr eu-central-1a 10.10.34.32/28",
                "tr eu-central-1b 10.10.34.48/28",
            ]
        );
    }

    #[test]
    fn exact_fit_and_overflow() {
        let tiers = [("a", 25), ("b", 26), ("c", 26)];
        assert!(carve(net("10.0.0.0/24"), &azs(1), &tiers).is_ok());
        assert_eq!(
            carve(net("10.0.0.0/24"), &azs(2), &tiers),
            Err(CarveError::DoesNotFit {
                network: net("10.0.0.0/24"),
                needed: 512,
                available: 256
            })
        );
        assert!(matches!(
            carve(net("10.0.0.0/24"), &azs(1), &[("a", 23)]),
            Err(CarveError::Prefix { prefix: 23, .. })
        ));
        assert_eq!(prefix_for(512), 23);
        assert_eq!(prefix_for(4096 * 2 + 16 * 4 + 512), 18);
    }

    proptest! {
        #[test]
        fn carving_is_disjoint_aligned_and_inside(
            base in any::<u32>(),
            vpc_prefix in 16u8..=26,
            az_count in 1usize..=4,
            tier_prefixes in proptest::collection::vec(16u8..=28, 1..=5),
        ) {
            let vpc = Ipv4Net { addr: base & mask(vpc_prefix), prefix: vpc_prefix };
            let tiers: Vec<(usize, u8)> = tier_prefixes.iter().copied().enumerate().collect();
            let fits = tier_prefixes.iter().all(|p| *p >= vpc_prefix)
                && needed_addresses(az_count, tier_prefixes.iter().copied()) <= vpc.size();
            let result = carve(vpc, &azs(az_count), &tiers);
            prop_assert_eq!(result.is_ok(), fits);
            if let Ok(subnets) = result {
                prop_assert_eq!(subnets.len(), tiers.len() * az_count);
                for (i, s) in subnets.iter().enumerate() {
                    prop_assert!(vpc.contains(&s.cidr));
                    prop_assert_eq!(s.cidr.first() & !mask(s.cidr.prefix()), 0);
                    prop_assert_eq!(s.cidr.prefix(), tiers[s.tier].1);
                    for t in &subnets[i + 1..] {
                        prop_assert!(!s.cidr.overlaps(&t.cidr), "{} overlaps {}", s.cidr, t.cidr);
                    }
                }
                // Deterministic: a second run gives the same answer.
                prop_assert_eq!(carve(vpc, &azs(az_count), &tiers).unwrap(), subnets);
            }
        }
    }
}
