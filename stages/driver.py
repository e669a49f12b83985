"""Stage `driver`: PYNQ driver (driver/) and deployment package (deploy/ = bitfile/ + driver/).

FINN's deployment step copies <output_dir>/bitfile, so the bitstream stage's bitfile/ is copied
into this stage's output directory first.
"""
import os
import shutil
import sys

import finn_stage


def main(argv):
    p = finn_stage.common_parser(__doc__)
    p.add_argument("--bitfile_dir", required=True, help="the bitstream stage's bitfile/ directory")
    args = p.parse_args(argv)

    def copy_bitfile(out):
        if not os.path.isdir(args.bitfile_dir):
            return f"bitfile directory {args.bitfile_dir} not found"
        shutil.copytree(args.bitfile_dir, os.path.join(out, "bitfile"), dirs_exist_ok=True)
        return None

    return finn_stage.run("driver", args, generate_outputs=["pynq_driver", "deployment_package"], extra_cfg={}, prepare=copy_bitfile)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
