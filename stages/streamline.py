"""Stage `streamline`: QONNX -> FINN-ONNX conversion, tidy-up and streamlining.

The step list comes from params.yaml `build.steps.streamline`; attention-specific streamlining
(FINN-Plus or your own transformations) is added there as `module:function` custom steps.
"""
import sys

import finn_stage


def main(argv):
    args = finn_stage.common_parser(__doc__).parse_args(argv)
    return finn_stage.run("streamline", args, generate_outputs=[], extra_cfg={})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
