//! The deployment-time hook: what a deployment engine answers that offline
//! expansion keeps symbolic.

use super::frame::Cx;
use crate::eval::{DeploymentContext, EvalError, TemplateScope};
use crate::value::Value;

/// What a deployment engine answers at deployment time: `reference()`,
/// `list*()`, `newGuid()` in parameter defaults and the other runtime-only
/// functions. Offline expansion ([`expand`](super::expand)) has none and
/// keeps those values symbolic; a deployment engine (azrelo's emulator)
/// passes one to [`expand_with`](super::expand_with) to evaluate them
/// against the state of its cloud, as ARM does after the referenced resource
/// is deployed.
pub trait Runtime {
    /// Answer a runtime function call: `Ok(Some(v))` is its value,
    /// `Ok(None)` keeps it symbolic (not known yet, e.g. the resource is not
    /// deployed yet), `Err(message)` fails the expansion (e.g. the referenced
    /// resource does not exist).
    fn call(&mut self, call: &RuntimeCall<'_>) -> Result<Option<Value>, String>;

    /// Told the outputs of each nested deployment once it is expanded
    /// (`{name: {type, value}}`, as `reference(deployment).outputs` shows
    /// them). `id` is the nested deployment's resource id.
    fn nested_outputs(&mut self, _deployment: &str, _id: &str, _outputs: &Value) {}
}

/// One runtime function call, with its arguments evaluated.
#[derive(Debug)]
pub struct RuntimeCall<'a> {
    /// Lower-case function name: a template function (`reference`,
    /// `listkeys`, `newguid`, `pickzones`, …) or one of the engine's own
    /// questions: `keyvaultreference` (args: the parameter's `reference`
    /// object), `templatelink` (args: a linked template's URI; answer: the
    /// template document) and `resourcegrouplocation` (args: subscription
    /// id, resource group name).
    pub function: &'a str,
    pub args: &'a [Value],
    /// The call's text, e.g. `reference('kv').vaultUri`.
    pub expr: &'a str,
    /// The deployment path of the template being evaluated (`""` for the
    /// top level, else `a/b` as in [`ExpandedResource::deployment`](super::ExpandedResource::deployment)).
    pub deployment: &'a str,
    /// Where that template's resources deploy.
    pub target: &'a DeploymentContext,
    pub scope: TemplateScope,
}

impl Cx<'_, '_> {
    /// Whether a deployment runtime takes part in this expansion.
    pub(super) fn has_runtime(&self) -> bool {
        self.eng.runtime.is_some()
    }

    /// The deployment-time answer of a runtime function, when there is a
    /// runtime and it knows.
    pub(super) fn ask_runtime(
        &mut self,
        function: &str,
        args: &[Value],
        expr: &str,
    ) -> Result<Option<Value>, EvalError> {
        let eng = &mut *self.eng;
        let Some(rt) = eng.runtime.as_deref_mut() else {
            return Ok(None);
        };
        let frame = &eng.frames[self.f];
        let call = RuntimeCall {
            function,
            args,
            expr,
            deployment: &frame.deployment_path,
            target: &frame.target,
            scope: frame.target_scope,
        };
        rt.call(&call).map_err(EvalError::new)
    }

    /// Tell the runtime the outputs of a nested deployment.
    pub(super) fn tell_nested_outputs(&mut self, path: &str, id: &str, outputs: &Value) {
        if let Some(rt) = self.eng.runtime.as_deref_mut() {
            rt.nested_outputs(path, id, outputs);
        }
    }
}
