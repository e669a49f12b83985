#!/usr/bin/env node
// STAND-IN for the FINN-T build (Brevitas model, QONNX export, FINN streamlining, Vitis HLS,
// Vivado, PYNQ driver), none of which can run here. Each call is one stage of the flow: it reads
// the previous stage's "ONNX" (JSON), writes its own and FINN-shaped reports (report/*.json,
// post_route_timing.rpt, time_per_step.json) with made-up numbers computed from the model's
// configuration, and finishes at once. Only the shapes follow FINN's (see /work/shared/FINN.md).
//
//   node standin/finn.mjs STAGE --out DIR [--input FILE] [--num_heads N --head_dim D ...]
//
// From hls on it behaves like FINN where the orchestrator depends on it: the stage writes its
// absolute output path into the ONNX, and the next stage fails when that path does not exist (a
// Vivado project moved away from where it was built). Every call appends one line "STAGE CONFIG"
// to $STANDIN_RUN_LOG when that is set (tests count runs with it).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [stage, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];
const out = path.resolve(args.out);
mkdirSync(path.join(out, 'report'), { recursive: true });
const write = (rel, value) => writeFileSync(path.join(out, rel), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
const readModel = () => JSON.parse(readFileSync(args.input, 'utf8'));

let model;
if (stage === 'model') {
  model = { config: Object.fromEntries(['num_heads', 'head_dim', 'emb_dim', 'mlp_dim', 'seq_len', 'bits', 'num_layers'].map((k) => [k, Number(args[k])])), steps: ['model'] };
} else {
  model = readModel();
  // FINN nodes hold absolute paths from HLS code generation on; a later step needs them to exist.
  for (const p of model.paths ?? []) {
    if (!existsSync(p)) {
      console.error(`ERROR: ${stage}: ${p} does not exist (the build it came from was moved)`);
      process.exit(2);
    }
  }
  model.steps.push(stage);
}
const c = model.config;
if (process.env.STANDIN_RUN_LOG) appendFileSync(process.env.STANDIN_RUN_LOG, `${stage} ${JSON.stringify(c)}\n`);
if (process.env.STANDIN_FAIL === `${stage}:${c.num_heads}:${c.head_dim}:${c.seq_len}:${c.bits}`) {
  console.log(`${stage}: synthesizing ${c.num_heads} heads`);
  console.error(`ERROR: [Synth 8-5834] Design needs ${c.num_heads * 10000} LUTs, more than the part has`);
  process.exit(1);
}

// Made-up but monotonic resource numbers: attention grows with heads x head_dim x seq_len, MVAUs with emb and bits.
const mvau = Math.round(c.emb_dim * c.emb_dim * c.bits * 1.5 + 400);
const attn = Math.round(c.num_heads * c.head_dim * Math.log2(c.seq_len) * c.bits * 4 + 300);
const thr = Math.round(c.emb_dim * (2 ** c.bits) * 0.8 + 50);
const fifo = Math.round(c.seq_len * 0.5 + 100);
const layers = {
  MVAU_rtl_0: { LUT: mvau, FF: mvau * 1.3, BRAM_18K: Math.ceil(c.emb_dim / 16), DSP: 0 },
  MVAU_rtl_1: { LUT: mvau, FF: mvau * 1.3, BRAM_18K: Math.ceil(c.emb_dim / 16), DSP: 0 },
  ScaledDotProductAttention_hls_0: { LUT: attn, FF: attn * 1.1, BRAM_18K: Math.ceil((c.seq_len * c.head_dim * c.num_heads) / 4096), DSP: c.num_heads },
  Thresholding_rtl_0: { LUT: thr, FF: thr, BRAM_18K: 0, DSP: 0 },
  StreamingFIFO_rtl_0: { LUT: fifo, FF: fifo, BRAM_18K: Math.ceil(c.seq_len / 256), DSP: 0 },
};
const int = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
const sum = (rows) => rows.reduce((t, r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (t[k] ?? 0) + v])), {});
const times = (steps) => Object.fromEntries(steps.map((s, i) => [s, 0.01 * (i + 1)]));

switch (stage) {
  case 'model':
  case 'export':
    break;
  case 'streamline':
    write('time_per_step.json', times(['step_qonnx_to_finn', 'step_tidy_up', 'step_streamline']));
    break;
  case 'hw': {
    const est = Object.fromEntries(Object.entries(layers).map(([n, r]) => [n, { BRAM_18K: r.BRAM_18K, BRAM_efficiency: 0.5, LUT: Math.round(r.LUT * 0.9), URAM: 0, URAM_efficiency: 1, DSP: r.DSP }]));
    est.total = sum(Object.values(est).map((r) => ({ BRAM_18K: r.BRAM_18K, LUT: r.LUT, URAM: r.URAM, DSP: r.DSP })));
    write('report/estimate_layer_resources.json', est);
    write('report/estimate_layer_cycles.json', Object.fromEntries(Object.keys(layers).map((n) => [n, c.seq_len * c.emb_dim])));
    write('report/estimate_network_performance.json', { critical_path_cycles: c.seq_len * c.emb_dim * 3, max_cycles: c.seq_len * c.emb_dim, max_cycles_node_name: 'MVAU_rtl_0', estimated_throughput_fps: 1e8 / (c.seq_len * c.emb_dim), estimated_latency_ns: c.seq_len * c.emb_dim * 30 });
    write('time_per_step.json', times(['step_convert_to_hw', 'step_specialize_layers', 'step_generate_estimate_reports']));
    break;
  }
  case 'hls': {
    write('report/estimate_layer_resources_hls.json', Object.fromEntries(Object.entries(layers).map(([n, r]) => [n, { BRAM_18K: String(r.BRAM_18K), FF: String(Math.round(r.FF)), LUT: String(Math.round(r.LUT * 1.05)), DSP48E: r.DSP, URAM: '0' }])));
    mkdirSync(path.join(out, 'stitched_ip'), { recursive: true });
    writeFileSync(path.join(out, 'stitched_ip', 'finn_design.xpr'), `<Project Path="${path.join(out, 'stitched_ip')}"/>\n`);
    model.paths = [path.join(out, 'stitched_ip')];
    write('time_per_step.json', times(['step_hw_codegen', 'step_hw_ipgen', 'step_create_stitched_ip']));
    break;
  }
  case 'bitstream': {
    const post = Object.fromEntries(Object.entries(layers).map(([n, r]) => [`StreamingDataflowPartition_1_${n}`, { ...int(r), SRL: 0, BRAM_36K: 0 }]));
    write('report/post_synth_resources.json', { '(top)': sum(Object.values(post)), ...post });
    const wns = (1.5 - c.num_heads * 0.1).toFixed(3);
    write('report/post_route_timing.rpt', `Design Timing Summary\n| -----\n    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)\n    -------      -------  ---------------------  -------------------      -------\n      ${wns}        0.000                      0                 1000        0.050\n`);
    mkdirSync(path.join(out, 'bitfile'), { recursive: true });
    writeFileSync(path.join(out, 'bitfile', 'finn-accel.bit'), `bitstream for ${JSON.stringify(c)}\n`);
    model.paths = [...(model.paths ?? []), path.join(out, 'bitfile')];
    write('time_per_step.json', times(['step_synthesize_bitfile']));
    break;
  }
  case 'driver':
    mkdirSync(path.join(out, 'driver'), { recursive: true });
    writeFileSync(path.join(out, 'driver', 'driver.py'), `# PYNQ driver stand-in\nbitfile = "${model.paths.at(-1)}/finn-accel.bit"\n`);
    write('time_per_step.json', times(['step_make_pynq_driver', 'step_deployment_package']));
    break;
  default:
    console.error(`unknown stage ${stage}`);
    process.exit(2);
}
write('model.onnx', model);
console.log(`${stage}: done (${c.num_heads} heads x ${c.head_dim}, seq ${c.seq_len}, ${c.bits} bits)`);
