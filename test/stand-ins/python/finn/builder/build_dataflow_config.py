"""STAND-IN for finn.builder.build_dataflow_config (tests only): the same field names and enums."""
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, List, Optional


class DataflowOutputType(str, Enum):
    STITCHED_IP = "stitched_ip"
    ESTIMATE_REPORTS = "estimate_reports"
    OOC_SYNTH = "out_of_context_synth"
    RTLSIM_PERFORMANCE = "rtlsim_performance"
    BITFILE = "bitfile"
    PYNQ_DRIVER = "pynq_driver"
    DEPLOYMENT_PACKAGE = "deployment_package"


class ShellFlowType(str, Enum):
    VIVADO_ZYNQ = "vivado_zynq"
    VITIS_ALVEO = "vitis_alveo"


class VerificationStepType(str, Enum):
    QONNX_TO_FINN_PYTHON = "finn_onnx_python"
    TIDY_UP_PYTHON = "initial_python"
    STREAMLINED_PYTHON = "streamlined_python"
    FOLDED_HLS_CPPSIM = "folded_hls_cppsim"
    STITCHED_IP_RTLSIM = "stitched_ip_rtlsim"


@dataclass
class DataflowBuildConfig:
    output_dir: str
    synth_clk_period_ns: float
    generate_outputs: List[DataflowOutputType]
    specialize_layers_config_file: Optional[str] = None
    folding_config_file: Optional[str] = None
    target_fps: Optional[int] = None
    folding_two_pass_relaxation: Optional[bool] = True
    mvau_wwidth_max: Optional[int] = 36
    verify_steps: Optional[List[VerificationStepType]] = None
    verify_input_npy: Optional[str] = "input.npy"
    verify_expected_output_npy: Optional[str] = "expected_output.npy"
    stitched_ip_gen_dcp: Optional[bool] = False
    standalone_thresholds: Optional[bool] = False
    minimize_bit_width: Optional[bool] = True
    board: Optional[str] = None
    shell_flow_type: Optional[ShellFlowType] = None
    fpga_part: Optional[str] = None
    auto_fifo_depths: Optional[bool] = True
    split_large_fifos: Optional[bool] = False
    auto_fifo_strategy: Optional[str] = "largefifo_rtlsim"
    hls_clk_period_ns: Optional[float] = None
    save_intermediate_models: Optional[bool] = True
    enable_build_pdb_debug: Optional[bool] = True
    verbose: Optional[bool] = False
    steps: Optional[List[Any]] = None
    start_step: Optional[str] = None
    stop_step: Optional[str] = None
    rtlsim_batch_size: Optional[int] = 1
