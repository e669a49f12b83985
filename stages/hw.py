"""Stage `hw`: attention/residual conversion and stream replication (stages/attention_steps.py),
hardware layers, dataflow partition, layer specialization, folding, bit widths, estimate reports
(report/estimate_*.json, op_and_param_counts.json)."""
import sys

import finn_stage


def main(argv):
    p = finn_stage.common_parser(__doc__)
    p.add_argument("--folding_config_file", required=True)
    p.add_argument("--specialize_layers_config_file", default=None)
    p.add_argument("--mvau_wwidth_max", type=int, default=36)
    p.add_argument("--minimize_bit_width", action="store_true")
    p.add_argument("--standalone_thresholds", action="store_true")
    p.add_argument("--target_fps", type=int, default=None)
    args = p.parse_args(argv)
    extra = {
        "folding_config_file": args.folding_config_file,
        "mvau_wwidth_max": args.mvau_wwidth_max,
        "minimize_bit_width": args.minimize_bit_width,
        "standalone_thresholds": args.standalone_thresholds,
    }
    if args.specialize_layers_config_file:
        extra["specialize_layers_config_file"] = args.specialize_layers_config_file
    if args.target_fps:
        extra["target_fps"] = args.target_fps
    return finn_stage.run("hw", args, generate_outputs=["estimate_reports"], extra_cfg=extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
