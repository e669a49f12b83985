"""Stage `bitstream`: Vivado synthesis, place and route and the bitfile (bitfile/), with
report/post_synth_resources.{xml,json} and report/post_route_timing.rpt."""
import sys

import finn_stage


def main(argv):
    args = finn_stage.common_parser(__doc__).parse_args(argv)
    return finn_stage.run("bitstream", args, generate_outputs=["bitfile"], extra_cfg={})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
