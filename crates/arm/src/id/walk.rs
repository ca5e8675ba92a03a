//! The segment walker behind `ResourceId::parse` and the scanner: the
//! longest valid id prefix, its scope and provider blocks, or why not.

use super::*;

/// The outcome of walking segments: either a complete parse or the longest
/// valid prefix (for the scanner).
pub(crate) struct Walk {
    pub(crate) scope: Scope,
    pub(crate) blocks: Vec<Block>,
    /// Byte length of the longest valid id prefix, 0 if none.
    pub(crate) valid_len: usize,
    pub(crate) error: Option<IdError>,
}

pub(super) fn eq_kw(seg: &str, kw: &str) -> bool {
    seg.eq_ignore_ascii_case(kw)
}

/// One segment: byte range and the first character that may not appear in an id.
#[derive(Clone, Copy)]
pub(super) struct Seg {
    a: usize,
    b: usize,
    bad: Option<u8>,
}

/// Iterator over the segments after the leading `/`.
pub(super) struct Segs<'a> {
    s: &'a str,
    pos: usize,
    /// 1-based number of the segment last returned (for error messages).
    index: usize,
}

impl<'a> Segs<'a> {
    fn new(s: &'a str) -> Self {
        Segs {
            s,
            pos: 1,
            index: 0,
        }
    }
    /// Next segment; `None` at end of input.
    fn next_seg(&mut self) -> Option<Seg> {
        let bytes = self.s.as_bytes();
        if self.pos > bytes.len() {
            return None;
        }
        self.index += 1;
        let a = self.pos;
        let mut bad = None;
        let mut b = a;
        while b < bytes.len() {
            let c = bytes[b];
            if c == b'/' {
                break;
            }
            if bad.is_none() && (c < b' ' || c == 0x7f || c == b'?' || c == b'#') {
                bad = Some(c);
            }
            b += 1;
        }
        self.pos = b + 1;
        Some(Seg { a, b, bad })
    }
    fn mark(&self) -> (usize, usize) {
        (self.pos, self.index)
    }
    fn reset(&mut self, m: (usize, usize)) {
        (self.pos, self.index) = m;
    }
}

pub(super) fn span(a: usize, b: usize) -> Span {
    Span {
        start: a as u32,
        end: b as u32,
    }
}

pub(super) fn bad_what(c: u8) -> &'static str {
    match c {
        b'?' => "'?' (a URL query string)",
        b'#' => "'#' (a URL fragment)",
        _ => "a control character",
    }
}

/// A provider block being read: (block start, namespace, type/name pairs so far).
type PendingBlock = (usize, Span, Vec<(Span, Span)>);

/// Walk `s` (which starts with `/`) segment by segment, recording structure and
/// the longest prefix that is a complete id.
pub(crate) fn walk(s: &str) -> Walk {
    let mut w = Walk {
        scope: Scope::Tenant,
        blocks: Vec::new(),
        valid_len: 0,
        error: None,
    };
    let unexpected = |pos: usize, expected: &'static str, found: &str| IdError::Unexpected {
        id: shown(s),
        position: pos,
        expected,
        found: shown(found),
    };
    if s == "/" {
        w.valid_len = 1;
        return w;
    }
    let mut segs = Segs::new(s);
    // Next segment, which must exist and be non-empty and clean; `$missing`
    // names what it should have been, `$last` the text before it.
    macro_rules! need {
        ($missing:expr, $last:expr) => {
            match segs.next_seg() {
                None => {
                    w.error = Some(IdError::Truncated {
                        id: shown(s),
                        last: shown($last),
                        missing: $missing,
                    });
                    return w;
                }
                Some(g) => check!(g),
            }
        };
    }
    // A segment that must be non-empty and clean.
    macro_rules! check {
        ($g:expr) => {{
            let g: Seg = $g;
            if g.a == g.b {
                w.error = Some(IdError::EmptySegment {
                    id: shown(s),
                    position: segs.index,
                });
                return w;
            }
            if let Some(c) = g.bad {
                w.error = Some(IdError::InvalidCharacter {
                    id: shown(s),
                    position: segs.index,
                    what: bad_what(c),
                });
                return w;
            }
            (g.a, g.b)
        }};
    }
    // Scope.
    let (a, b) = need!("a first segment", "/");
    let first = &s[a..b];
    // (block start, namespace, pairs already read)
    let mut pending: Option<PendingBlock> = None;
    if eq_kw(first, "subscriptions") {
        let (sa, sb) = need!("the subscription id", first);
        w.scope = Scope::Subscription { sub: span(sa, sb) };
        w.valid_len = sb;
        let Some(g) = segs.next_seg() else {
            return w;
        };
        let (x, y) = check!(g);
        let seg = &s[x..y];
        if eq_kw(seg, "resourceGroups") {
            let (ra, rb) = need!("the resource group name", seg);
            w.scope = Scope::ResourceGroup {
                sub: span(sa, sb),
                rg: span(ra, rb),
            };
            w.valid_len = rb;
        } else if eq_kw(seg, "providers") {
            let (na, nb) = need!("a provider namespace", seg);
            pending = Some((x - 1, span(na, nb), Vec::new()));
        } else {
            w.error = Some(unexpected(
                segs.index,
                "'resourceGroups' or 'providers'",
                seg,
            ));
            return w;
        }
    } else if eq_kw(first, "providers") {
        let (na, nb) = need!("a provider namespace", first);
        let ns = &s[na..nb];
        let mut block = (0, span(na, nb), Vec::new());
        if eq_kw(ns, "Microsoft.Management") {
            // Possibly a management group scope.
            let m = segs.mark();
            match segs.next_seg() {
                Some(g) if g.bad.is_none() && eq_kw(&s[g.a..g.b], "managementGroups") => {
                    let (ma, mb) = need!("the management group name", &s[g.a..g.b]);
                    w.valid_len = mb;
                    let m2 = segs.mark();
                    let next = segs.next_seg();
                    segs.reset(m2);
                    match next {
                        Some(n) if !eq_kw(&s[n.a..n.b], "providers") => {
                            // A child of the management group, e.g. its
                            // subscriptions: a tenant-level resource block.
                            block.2.push((span(g.a, g.b), span(ma, mb)));
                            pending = Some(block);
                        }
                        _ => w.scope = Scope::ManagementGroup { name: span(ma, mb) },
                    }
                }
                _ => {
                    segs.reset(m);
                    pending = Some(block);
                }
            }
        } else {
            pending = Some(block);
        }
    } else {
        w.error = Some(unexpected(
            segs.index,
            "'subscriptions' or 'providers'",
            first,
        ));
        return w;
    }

    // Provider blocks.
    loop {
        let (bstart, namespace, pairs) = match pending.take() {
            Some(p) => p,
            None => {
                let Some(g) = segs.next_seg() else {
                    return w;
                };
                let (x, y) = check!(g);
                let seg = &s[x..y];
                if !eq_kw(seg, "providers") {
                    w.error = Some(unexpected(
                        segs.index,
                        "'providers' (the start of an extension resource)",
                        seg,
                    ));
                    return w;
                }
                let (na, nb) = need!("a provider namespace", seg);
                (x - 1, span(na, nb), Vec::new())
            }
        };
        let mut block = Block {
            start: bstart as u32,
            namespace,
            pairs,
        };
        let mut last_text = block
            .pairs
            .last()
            .map_or(namespace.get(s), |(_, n)| n.get(s));
        loop {
            let m = segs.mark();
            let Some(g) = segs.next_seg() else {
                if block.pairs.is_empty() {
                    w.error = Some(IdError::Truncated {
                        id: shown(s),
                        last: shown(last_text),
                        missing: "a resource type after the provider namespace",
                    });
                } else {
                    w.blocks.push(block);
                }
                return w;
            };
            if !block.pairs.is_empty() && g.a < g.b && eq_kw(&s[g.a..g.b], "providers") {
                // Start of an extension block.
                segs.reset(m);
                break;
            }
            let has_pairs = !block.pairs.is_empty();
            macro_rules! bail_keep {
                ($e:expr) => {{
                    w.error = Some($e);
                    if has_pairs {
                        w.blocks.push(block);
                    }
                    return w;
                }};
            }
            // The segment must be non-empty and clean (like `check!`, but
            // keeping the pairs read so far for the longest valid prefix).
            macro_rules! check_keep {
                ($g:expr) => {{
                    let g: &Seg = $g;
                    if g.a == g.b {
                        bail_keep!(IdError::EmptySegment {
                            id: shown(s),
                            position: segs.index,
                        });
                    }
                    if let Some(c) = g.bad {
                        bail_keep!(IdError::InvalidCharacter {
                            id: shown(s),
                            position: segs.index,
                            what: bad_what(c),
                        });
                    }
                }};
            }
            check_keep!(&g);
            let (ta, tb) = (g.a, g.b);
            if eq_kw(&s[ta..tb], "providers") {
                bail_keep!(unexpected(
                    segs.index,
                    "a resource type after the provider namespace",
                    "providers",
                ));
            }
            let Some(g) = segs.next_seg() else {
                bail_keep!(IdError::Truncated {
                    id: shown(s),
                    last: shown(&s[ta..tb]),
                    missing: "the resource name after the type",
                });
            };
            check_keep!(&g);
            block.pairs.push((span(ta, tb), span(g.a, g.b)));
            last_text = &s[g.a..g.b];
            w.valid_len = g.b;
        }
        w.blocks.push(block);
    }
}
