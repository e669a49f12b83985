"""Stage `hls`: HLS code generation and IP synthesis, FIFO sizing, stitched IP; optionally RTL
simulation performance and out-of-context synthesis (report/rtlsim_performance.json,
report/ooc_synth_and_timing.json)."""
import sys

import finn_stage


def main(argv):
    p = finn_stage.common_parser(__doc__)
    p.add_argument("--folding_config_file", default=None, help="FIFO depths when auto_fifo_depths is off")
    p.add_argument("--auto_fifo_depths", action="store_true")
    p.add_argument("--auto_fifo_strategy", default="largefifo_rtlsim")
    p.add_argument("--split_large_fifos", action="store_true")
    p.add_argument("--rtlsim_performance", action="store_true")
    p.add_argument("--ooc_synth", action="store_true")
    args = p.parse_args(argv)
    outputs = ["stitched_ip"]
    if args.rtlsim_performance:
        outputs.append("rtlsim_performance")
    if args.ooc_synth:
        outputs.append("out_of_context_synth")
    extra = {
        "auto_fifo_depths": args.auto_fifo_depths,
        "auto_fifo_strategy": args.auto_fifo_strategy,
        "split_large_fifos": args.split_large_fifos,
    }
    if args.folding_config_file:
        extra["folding_config_file"] = args.folding_config_file
    return finn_stage.run("hls", args, generate_outputs=outputs, extra_cfg=extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
