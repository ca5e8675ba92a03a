//! Bounds on one expansion.
//!
//! Two kinds of limit apply:
//!
//! * **ARM's own template limits**, enforced where ARM enforces them and not
//!   configurable (they are facts about Azure): 256 parameters, 256
//!   variables, 64 outputs, 800 resources per template (copies included),
//!   copy counts from 0 to 800, 24,576 characters per expression
//!   (learn.microsoft.com, azure-resource-manager/templates/best-practices.md
//!   "Template limits" and troubleshooting/error-job-size-exceeded.md). See
//!   [`ARM_MAX_PARAMETERS`] and its siblings.
//! * **azrelo's budget** ([`Limits`]): ARM also caps the expanded template
//!   at 4 MB *compressed* and each resource at 1 MB compressed, which an
//!   offline evaluator cannot check without compressing; and it evaluates
//!   on servers that give up on a runaway deployment. An offline engine
//!   needs its own bounds so that hostile or broken input — variables that
//!   double themselves 60 times, a copy of 800 × 800 large strings — fails
//!   fast with an error naming the JSON path and expression instead of
//!   exhausting memory. The defaults are generous: every quickstart and
//!   Azure Verified Module of the corpus stays far below each of them (the
//!   corpus tests check it).
//!
//! The budget is kept by [`Budget`], which the expansion hands to the
//! evaluator through [`Context::budget`](crate::eval::Context::budget).

use crate::eval::EvalError;
use crate::value::Value;

/// ARM's limit of parameters per template.
pub const ARM_MAX_PARAMETERS: usize = 256;
/// ARM's limit of variables per template.
pub const ARM_MAX_VARIABLES: usize = 256;
/// ARM's limit of outputs per template.
pub const ARM_MAX_OUTPUTS: usize = 64;
/// ARM's limit of resources per template, copies included.
pub const ARM_MAX_RESOURCES: usize = 800;
/// ARM's limit of a copy loop's count.
pub const ARM_MAX_COPY_COUNT: i64 = 800;
/// ARM's limit of characters in one template expression.
pub const ARM_MAX_EXPRESSION_CHARS: usize = 24_576;
/// ARM's limit of a deployment request (template and parameters, compact
/// JSON): larger requests fail with `RequestContentTooLarge` ("The request
/// content size exceeds the maximum size of 4 MB").
pub const ARM_MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024;

const MIB: u64 = 1024 * 1024;

/// azrelo's bounds on one expansion (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest template text accepted, in bytes. Default 16 MiB: ARM
    /// refuses requests over [`ARM_MAX_REQUEST_BYTES`] of compact JSON, and
    /// template files on disk are often indented to twice that or more (the
    /// corpus' largest template is under 1 MB).
    pub max_template_bytes: u64,
    /// Largest single evaluated value (a function's result, a parameter, a
    /// variable, a property), in bytes as the engine holds it (strings by
    /// length plus 32 bytes a node). Default 16 MiB.
    pub max_value_bytes: u64,
    /// Total bytes of values evaluated over the whole expansion (what the
    /// evaluator materializes, counted as for `max_value_bytes`; a value
    /// used twice counts twice). Bounds memory: what an expansion holds is
    /// at most this plus the template. Default 256 MiB.
    pub max_evaluated_bytes: u64,
    /// Total evaluation steps over the whole expansion: one per function
    /// call and per JSON node evaluated, plus the comparisons of the
    /// quadratic array functions (`union`, `intersection`, `distinct`).
    /// Bounds time. Default 10 million (about a second).
    pub max_steps: u64,
    /// How deep evaluations may nest: an expression using a variable whose
    /// expression uses another variable, user functions, nested
    /// deployments expanded on demand. Default 512 (ARM allows 256
    /// variables, so a chain of all of them fits; the evaluator grows its
    /// stack as it nests, so any thread's stack suffices).
    pub max_nesting: usize,
    /// How deep an evaluated value may nest (arrays in arrays, objects in
    /// objects). Default 256, as deep as the JSON parser reads.
    pub max_value_depth: usize,
    /// Resources over the whole expansion, nested deployments included
    /// (each template is also held to ARM's 800). Default 40,000.
    pub max_total_resources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: 16 * MIB,
            max_value_bytes: 16 * MIB,
            max_evaluated_bytes: 256 * MIB,
            max_steps: 10_000_000,
            max_nesting: 512,
            max_value_depth: 256,
            max_total_resources: 40_000,
        }
    }
}

impl Limits {
    /// Refuse template text larger than `max_template_bytes`.
    pub fn check_template_size(&self, bytes: u64) -> Result<(), EvalError> {
        if bytes > self.max_template_bytes {
            return Err(EvalError::new(format!(
                "the template is {} bytes, more than the limit of {} bytes (Limits::max_template_bytes); ARM itself refuses deployment requests over {} bytes",
                bytes, self.max_template_bytes, ARM_MAX_REQUEST_BYTES
            )));
        }
        Ok(())
    }
}

/// What an expansion used of its [`Limits`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub steps: u64,
    pub evaluated_bytes: u64,
    pub largest_value_bytes: u64,
    pub deepest_nesting: usize,
}

/// The running account of one expansion against its [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct Budget {
    limits: Limits,
    used: Usage,
    depth: usize,
}

/// Bytes a value holds, as the budget counts them: 32 a node plus the
/// bytes of its strings and keys.
pub fn weight(v: &Value) -> u64 {
    measure(v).0
}

/// A value's weight (see [`weight`]) and nesting depth (1 for a scalar).
pub fn measure(v: &Value) -> (u64, usize) {
    const NODE: u64 = 32;
    match v {
        Value::String(s) => (NODE + s.len() as u64, 1),
        Value::Array(a) => a.iter().fold((NODE, 1), |(w, d), x| {
            let (xw, xd) = measure(x);
            (w + xw, d.max(xd + 1))
        }),
        Value::Object(o) => o.iter().fold((NODE, 1), |(w, d), (k, x)| {
            let (xw, xd) = measure(x);
            (w + k.len() as u64 + xw, d.max(xd + 1))
        }),
        Value::Unknown(u) => (NODE + u.expr.len() as u64, 1),
        _ => (NODE, 1),
    }
}

fn mib(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            used: Usage::default(),
            depth: 0,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn usage(&self) -> Usage {
        self.used
    }

    /// Count `n` evaluation steps.
    pub fn steps(&mut self, n: u64) -> Result<(), EvalError> {
        self.used.steps = self.used.steps.saturating_add(n);
        if self.used.steps > self.limits.max_steps {
            return Err(EvalError::new(format!(
                "evaluation stopped after {} steps (Limits::max_steps): the template does too much work, e.g. loops over loops of large arrays",
                self.limits.max_steps
            )));
        }
        Ok(())
    }

    /// Refuse a value (about to be built) of `bytes` larger than
    /// `max_value_bytes`; `what` names it (e.g. "the value of 'concat(…)'").
    pub fn fits(&self, bytes: u64, what: impl FnOnce() -> String) -> Result<(), EvalError> {
        if bytes > self.limits.max_value_bytes {
            return Err(EvalError::new(format!(
                "{} would be {}, more than the limit of {} for one value (Limits::max_value_bytes)",
                what(),
                mib(bytes),
                mib(self.limits.max_value_bytes)
            )));
        }
        Ok(())
    }

    /// Count `bytes` of literal template text evaluated.
    pub fn literal(&mut self, bytes: u64) -> Result<(), EvalError> {
        self.steps(1)?;
        self.add_bytes(bytes)
    }

    /// Account for a value an evaluation step produced: one step, its size
    /// checked against `max_value_bytes` and added to the total.
    pub fn value(&mut self, v: &Value, what: impl FnOnce() -> String) -> Result<(), EvalError> {
        self.steps(1)?;
        let (w, depth) = measure(v);
        if depth > self.limits.max_value_depth {
            return Err(EvalError::new(format!(
                "{} nests {depth} levels deep, more than the limit of {} (Limits::max_value_depth)",
                what(),
                self.limits.max_value_depth
            )));
        }
        self.fits(w, what)?;
        self.used.largest_value_bytes = self.used.largest_value_bytes.max(w);
        self.add_bytes(w)
    }

    fn add_bytes(&mut self, bytes: u64) -> Result<(), EvalError> {
        self.used.evaluated_bytes = self.used.evaluated_bytes.saturating_add(bytes);
        if self.used.evaluated_bytes > self.limits.max_evaluated_bytes {
            return Err(EvalError::new(format!(
                "evaluation stopped after {} of values (Limits::max_evaluated_bytes): the template multiplies large values, e.g. copy loops over a large string",
                mib(self.limits.max_evaluated_bytes)
            )));
        }
        Ok(())
    }

    /// Enter a nested evaluation (leave it with [`Budget::leave`]).
    pub fn enter(&mut self) -> Result<(), EvalError> {
        if self.depth >= self.limits.max_nesting {
            return Err(EvalError::new(format!(
                "evaluations nest deeper than {} levels (Limits::max_nesting): variables, user functions or nested deployments refer to each other too deeply",
                self.limits.max_nesting
            )));
        }
        self.depth += 1;
        self.used.deepest_nesting = self.used.deepest_nesting.max(self.depth);
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}
