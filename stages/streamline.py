"""Stage `streamline`: QONNX -> FINN-ONNX conversion, tidy-up and streamlining.

The step list comes from params.yaml `build.steps.streamline`: FINN's steps with the attention-specific
ones of the FINN-T build (stages/attention_steps.py, by name) at the reference's positions; any other
custom step as `module:function`.
"""
import sys

import finn_stage


def main(argv):
    args = finn_stage.common_parser(__doc__).parse_args(argv)
    return finn_stage.run("streamline", args, generate_outputs=[], extra_cfg={})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
