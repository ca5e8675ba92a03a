//! `uniqueString()` and `guid()` as Azure Resource Manager computes them.
//!
//! Microsoft does not document either algorithm. This follows the public,
//! MIT-licensed reimplementations derived from the ARM expression engine
//! (`Azure.Deployments.Expression` / `Microsoft.PowerPlatform.ResourceStack`),
//! e.g. `ArmFunctions.cs` in EmmittJ's Aspire.Hosting.Pulumi.Azure and the
//! `uniquestring.sh` script that replicates Bicep's output:
//!
//! * `uniqueString(a, b, …)`: the arguments joined with `-`, UTF-8, hashed with
//!   Microsoft's 64-bit MurmurHash variant (seed 0, the constants below), and
//!   the top 65 bits rendered as 13 characters of lower-case RFC 4648 base32.
//! * `guid(a, b, …)`: an RFC 4122 version-5 (SHA-1, name-based) UUID of the
//!   `-`-joined arguments in ARM's namespace `11fb06fb-712d-4ddd-98c7-e71bbd588830`.
//!
//! The test below checks a value recorded from a real ARM deployment
//! (microsoft/commercial-marketplace-offer-deploy, `ArmFunctionsTests.cs`).

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// ARM's namespace for `guid()`.
pub const ARM_GUID_NAMESPACE: uuid::Uuid = uuid::uuid!("11fb06fb-712d-4ddd-98c7-e71bbd588830");

fn le32(d: &[u8]) -> u32 {
    let mut v = 0u32;
    for (i, b) in d.iter().take(4).enumerate() {
        v |= (*b as u32) << (8 * i);
    }
    v
}

/// Microsoft's MurmurHash64 variant.
pub fn murmur64(data: &[u8]) -> u64 {
    const C1: u32 = 597_399_067;
    const C2: u32 = 2_869_860_233;
    let len = data.len();
    let (mut h1, mut h2) = (0u32, 0u32);
    let mut i = 0;
    while i + 7 < len {
        let mut k1 = le32(&data[i..i + 4]);
        let mut k2 = le32(&data[i + 4..i + 8]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(19)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(1_444_728_091);
        k2 = k2.wrapping_mul(C2).rotate_left(17).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(13)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(197_830_471);
        i += 8;
    }
    let tail = len - i;
    if tail > 0 {
        let k1 = le32(&data[i..i + tail.min(4)]);
        h1 ^= k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        if tail > 4 {
            let k2 = le32(&data[i + 4..len]);
            h2 ^= k2.wrapping_mul(C2).rotate_left(17).wrapping_mul(C1);
        }
    }
    h1 ^= len as u32;
    h2 ^= len as u32;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    let fmix = |mut h: u32| {
        h ^= h >> 16;
        h = h.wrapping_mul(2_246_822_507);
        h ^= h >> 13;
        h = h.wrapping_mul(3_266_489_909);
        h ^ (h >> 16)
    };
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    ((h2 as u64) << 32) | h1 as u64
}

/// `uniqueString(parts...)`.
pub fn unique_string(parts: &[&str]) -> String {
    let mut h = murmur64(parts.join("-").as_bytes());
    let mut out = String::with_capacity(13);
    for _ in 0..13 {
        out.push(BASE32[(h >> 59) as usize] as char);
        h <<= 5;
    }
    out
}

/// `guid(parts...)`.
pub fn guid(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(&ARM_GUID_NAMESPACE, parts.join("-").as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_string_matches_a_value_recorded_from_arm() {
        // microsoft/commercial-marketplace-offer-deploy test/Tests/ArmFunctionsTests.cs
        // records the ARM template output for this id. The file's history holds two
        // values ('yeygmhukyx3qg' and 'yvjxno3je5on2', see the domain notes); this
        // implementation reproduces the second exactly, which a wrong algorithm
        // could not do by chance (13 base32 characters = 65 bits).
        let id = "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201";
        let got = unique_string(&[id]);
        assert_eq!(got.len(), 13);
        assert!(got.bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(got, "yvjxno3je5on2");
    }

    #[test]
    fn shapes() {
        assert_ne!(unique_string(&["a", "b"]), unique_string(&["a-b", ""]));
        assert_eq!(unique_string(&["a", "b"]), unique_string(&["a-b"]));
        let g = guid(&["x", "y"]);
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "5", "version 5: {g}");
    }
}
