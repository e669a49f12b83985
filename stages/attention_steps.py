"""Attention-specific FINN build steps for the FINN-T flow (our own implementations).

FINN's default flow does not know the scaled-dot-product-attention pattern: before and between its
built-in steps the FINN-T build runs custom steps that tidy up, streamline and convert the attention,
multi-head, positional-encoding, normalization and residual parts of the model. This module holds
those steps, each one an ordered sequence of graph transformations, following the step list and the
transformation order of the FINN-T evaluation's build (iksnagreb/attention-dummy build.py and
build_steps.py); the transformations themselves come from qonnx, FINN and FINN-Plus.

| step (params.yaml name)        | stage      | runs                                               |
|--------------------------------|------------|----------------------------------------------------|
| step_tidy_up_pre_attention     | streamline | before step_qonnx_to_finn                          |
| step_streamline_positional     | streamline | after step_tidy_up                                 |
| step_streamline_attention      | streamline |                                                    |
| step_streamline_residual       | streamline |                                                    |
| step_streamline_norms          | streamline | before FINN's step_streamline                      |
| step_convert_attention_to_hw   | hw         | first in hw                                        |
| step_tidy_up_post_attention    | hw         | before FINN's step_convert_to_hw                   |
| step_convert_residual_to_hw    | hw         | after step_convert_to_hw                           |
| step_replicate_streams         | hw         | before step_create_dataflow_partition              |

The reference named two of them `..._to_hls` (FINN before the HLS/RTL split); with FINN's current
`step_convert_to_hw` they are `..._to_hw` here, and the `_to_hls` names are accepted as aliases.

The stage scripts resolve any `step_*` name in params.yaml `build.steps` that is not a FINN built-in
to the function of that name here (stages/finn_stage.py: resolve_steps). Transformations are imported
only when a step runs (or when a stage checks its steps up front with `missing_transformations`), so
this module imports without FINN; a transformation that cannot be imported fails with a message
naming it, the step that needs it and every module that was tried.

Where each transformation lives: qonnx and FINN for the generic ones; the attention-specific ones
(attention, attention_heads, replicate_stream, squeeze, streamline.remove, the Transpose reorderings)
are in FINN-Plus (and FINN's dev branch) under finn.transformation.*, and were a local `transformation`
package in the attention-dummy repository at the time of the FINN-T evaluation: that package is tried
second, so putting attention-dummy on PYTHONPATH also works.
"""
import importlib

# Where each transformation class may be found, in the order tried.
MODULES = {
    # qonnx: annotations, naming, clean-up
    "InferDataTypes": ["qonnx.transformation.infer_datatypes"],
    "InferShapes": ["qonnx.transformation.infer_shapes"],
    "InferDataLayouts": ["qonnx.transformation.infer_data_layouts"],
    "FoldConstants": ["qonnx.transformation.fold_constants"],
    "GiveUniqueNodeNames": ["qonnx.transformation.general"],
    "GiveReadableTensorNames": ["qonnx.transformation.general"],
    "RemoveStaticGraphInputs": ["qonnx.transformation.general"],
    "RemoveUnusedTensors": ["qonnx.transformation.general"],
    "GiveUniqueParameterTensors": ["qonnx.transformation.general"],
    "ConvertDivToMul": ["qonnx.transformation.general"],
    # FINN streamlining
    "Streamline": ["finn.transformation.streamline"],
    "AbsorbAddIntoMultiThreshold": ["finn.transformation.streamline.absorb"],
    "MoveMulPastFork": ["finn.transformation.streamline.reorder"],
    "MoveLinearPastFork": ["finn.transformation.streamline.reorder"],
    "MoveTransposePastFork": ["finn.transformation.streamline.reorder"],
    "MoveLinearPastEltwiseAdd": ["finn.transformation.streamline.reorder"],
    "MoveScalarLinearPastInvariants": ["finn.transformation.streamline.reorder"],
    "CollapseRepeatedMul": ["finn.transformation.streamline.collapse_repeated"],
    # Attention-specific (FINN-Plus; attention-dummy's own `transformation` package before that)
    "MoveTransposePastEltwise": ["finn.transformation.streamline.reorder", "transformation.transpose"],
    "CollapseRepeatedTranspose": ["finn.transformation.streamline.collapse_repeated", "transformation.transpose"],
    "RemoveIdentityReshape": ["finn.transformation.streamline.remove", "transformation.remove"],
    "RemoveIdentityTranspose": ["finn.transformation.streamline.remove", "transformation.remove"],
    "Squeeze": ["finn.transformation.squeeze", "transformation.squeeze"],
    "InferMultiHeads": ["finn.transformation.fpgadataflow.attention_heads", "transformation.attention_heads"],
    "MoveSplitMultiHeadsPastMultiThreshold": ["finn.transformation.fpgadataflow.attention_heads", "transformation.attention_heads"],
    "UnrollMultiHeadAttention": ["finn.transformation.fpgadataflow.attention_heads", "transformation.attention_heads"],
    "MoveMergeMultiHeadsPastMultiThreshold": ["finn.transformation.fpgadataflow.attention_heads", "transformation.attention_heads"],
    "InferScaledDotProductAttention": ["finn.transformation.fpgadataflow.attention", "transformation.attention"],
    "AbsorbMultiThresholdIntoScaledDotProductAttention": ["finn.transformation.fpgadataflow.attention", "transformation.attention"],
    "InferReplicateStream": ["finn.transformation.fpgadataflow.replicate_stream", "transformation.replicate_stream"],
    # Elementwise addition of the residual branches as a streaming HW layer (convert_to_hls_layers
    # before FINN's HLS/RTL split)
    "InferAddStreamsLayer": ["finn.transformation.fpgadataflow.convert_to_hw_layers", "finn.transformation.fpgadataflow.convert_to_hls_layers"],
}

_MOVE_RESIDUAL_SCALES = ["MoveLinearPastEltwiseAdd", "MoveLinearPastFork", "MoveScalarLinearPastInvariants"]
_COLLAPSE_TRANSPOSES_AT_FORK = ["MoveTransposePastFork", "MoveTransposePastEltwise", "CollapseRepeatedTranspose", "RemoveIdentityTranspose"]

# The transformations each step applies, in order.
SEQUENCES = {
    # Annotate, name and fold constants, drop no-op Reshape/Transpose, and annotate data layouts so
    # the Quant -> MultiThreshold conversion finds the channel dimension.
    "step_tidy_up_pre_attention": [
        "InferDataTypes", "InferShapes",
        "GiveUniqueNodeNames", "GiveReadableTensorNames", "RemoveStaticGraphInputs", "RemoveUnusedTensors",
        "GiveUniqueParameterTensors", "FoldConstants",
        "RemoveIdentityReshape", "RemoveIdentityTranspose",
        "InferDataLayouts",
    ],
    # The shared input quantizer of input and positional encoding leaves a Div that is the inverse of
    # the Mul in front of it: make it a Mul, merge the two, push scalar scales into the fork branches.
    "step_streamline_positional": ["ConvertDivToMul", "CollapseRepeatedMul", "MoveMulPastFork"],
    # Streamlining through the fork into queries, keys and values: streamline, move linear ops past
    # the fork, then streamline until the newly enabled rewrites are done.
    "step_streamline_attention": ["Streamline", "MoveLinearPastFork", "Streamline", "Streamline", "Streamline"],
    # Scale factors past the residual additions and forks, twice (one round enables the next).
    "step_streamline_residual": [*_MOVE_RESIDUAL_SCALES, "Streamline", *_MOVE_RESIDUAL_SCALES, "Streamline"],
    # Transposed normalization: move transposes past the scale/bias, collapse and drop them; repeated
    # for the two forks per block (residual branch and Q/K/V input), then the scales past the forks.
    "step_streamline_norms": [
        "MoveTransposePastEltwise", "CollapseRepeatedTranspose", "RemoveIdentityTranspose",
        *_COLLAPSE_TRANSPOSES_AT_FORK, *_COLLAPSE_TRANSPOSES_AT_FORK,
        *_MOVE_RESIDUAL_SCALES, "Streamline", "MoveLinearPastFork", "Streamline",
    ],
    # Multi-head split/merge and the attention pattern become HW operators; heads are unrolled.
    "step_convert_attention_to_hw": [
        "InferMultiHeads", "MoveSplitMultiHeadsPastMultiThreshold", "AbsorbAddIntoMultiThreshold",
        "InferScaledDotProductAttention", "UnrollMultiHeadAttention", "MoveMergeMultiHeadsPastMultiThreshold",
        "AbsorbMultiThresholdIntoScaledDotProductAttention",
    ],
    # Squeeze away the single-batch dimension and the no-op transposes left by the conversion, absorb
    # what that enables, one more round of residual streamlining, readable names.
    "step_tidy_up_post_attention": [
        "Squeeze", "RemoveIdentityTranspose",
        "AbsorbAddIntoMultiThreshold", "AbsorbMultiThresholdIntoScaledDotProductAttention",
        *_MOVE_RESIDUAL_SCALES, "Streamline",
        "GiveUniqueNodeNames", "GiveReadableTensorNames",
    ],
    # FINN's step_convert_to_hw does not convert the residual additions.
    "step_convert_residual_to_hw": ["InferAddStreamsLayer"],
    # A tensor feeding several consumers (the Q/K/V projections) needs an explicit stream replicator.
    "step_replicate_streams": ["InferReplicateStream"],
}

# Names from the reference's HLS-era step list.
ALIASES = {
    "step_convert_attention_to_hls": "step_convert_attention_to_hw",
    "step_convert_residual_to_hls": "step_convert_residual_to_hw",
}


class MissingTransformation(ImportError):
    pass


def _import(name, step):
    """The transformation class `name`, from the first of its modules that has it."""
    tried = []
    for module in MODULES[name]:
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError as e:
            tried.append(f"{module} ({e})")
        except AttributeError:
            tried.append(f"{module} (has no {name})")
    raise MissingTransformation(
        f"{step} needs the transformation {name}, which could not be imported; tried: {'; '.join(tried)}. "
        f"It comes with FINN-Plus (or put attention-dummy's `transformation` package on PYTHONPATH)"
    )


def missing_transformations(step_names):
    """One message per step in `step_names` (ours only) whose transformations cannot all be imported."""
    problems = []
    for step in step_names:
        step = ALIASES.get(step, step)
        for name in dict.fromkeys(SEQUENCES.get(step, [])):
            try:
                _import(name, step)
            except MissingTransformation as e:
                problems.append(str(e))
    return problems


def _run(model, step):
    # Import the whole sequence first: a missing transformation fails before the graph is touched.
    classes = [_import(name, step) for name in SEQUENCES[step]]
    for cls in classes:
        model = model.transform(cls())
    return model


def step_tidy_up_pre_attention(model, cfg):
    return _run(model, "step_tidy_up_pre_attention")


def step_streamline_positional(model, cfg):
    return _run(model, "step_streamline_positional")


def step_streamline_attention(model, cfg):
    return _run(model, "step_streamline_attention")


def step_streamline_residual(model, cfg):
    return _run(model, "step_streamline_residual")


def step_streamline_norms(model, cfg):
    return _run(model, "step_streamline_norms")


def step_convert_attention_to_hw(model, cfg):
    return _run(model, "step_convert_attention_to_hw")


def step_tidy_up_post_attention(model, cfg):
    return _run(model, "step_tidy_up_post_attention")


def step_convert_residual_to_hw(model, cfg):
    return _run(model, "step_convert_residual_to_hw")


def step_replicate_streams(model, cfg):
    return _run(model, "step_replicate_streams")


step_convert_attention_to_hls = step_convert_attention_to_hw
step_convert_residual_to_hls = step_convert_residual_to_hw


def lookup(name):
    """Our step function called `name` (or an alias of it), or None."""
    name = ALIASES.get(name, name)
    return globals()[name] if name in SEQUENCES else None
