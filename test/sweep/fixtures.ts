import { createProject, yamlLines, type Project } from '../integration/harness.js';

/** params.yaml with comments and alignment that must survive every edit. */
export const PARAMS = yamlLines(
  '# model size',
  'model:',
  '  num_heads: 2      # attention heads',
  '  emb_dim: 32',
  '  mlp_dim: 128',
  '  bits: 4          # weight bits',
  'seed: 7',
);

/**
 * prep (only `seed`, shared by every variant) -> train (heads/emb/mlp) -> eval (bits too), which
 * writes metrics. Runs are counted under `<dir>/.runs/` of the MAIN project (absolute path), since
 * each variant runs in its own workspace.
 */
export function pipeline(dir: string, sweeps: string[] = []): string {
  return yamlLines(
    'stages:',
    '  prep:',
    `    cmd: echo x >> ${dir}/.runs/prep && cat input.txt > prep.txt && echo \${seed} >> prep.txt`,
    '    deps: [input.txt]',
    '    params: [seed]',
    '    outs: [prep.txt]',
    '  train:',
    `    cmd: echo x >> ${dir}/.runs/train && echo "\${model.num_heads} \${model.emb_dim} \${model.mlp_dim}" > train.txt`,
    '    deps: [prep.txt]',
    '    params: [model.num_heads, model.emb_dim, model.mlp_dim]',
    '    outs: [train.txt]',
    '  eval:',
    `    cmd: echo x >> ${dir}/.runs/eval && sh eval.sh \${model.emb_dim} \${model.bits} \${model.mlp_dim}`,
    '    deps: [train.txt, eval.sh]',
    '    params: [model.bits, model.emb_dim, model.mlp_dim]',
    '    metrics: [metrics.yaml]',
    ...sweeps,
  );
}

/** Metrics as nested YAML: lut = emb_dim * bits, resources.ff = mlp_dim, resources.bram = bits. */
export const EVAL_SH = yamlLines('printf "lut: %s\\nresources:\\n  ff: %s\\n  bram: %s\\n" $(($1 * $2)) $3 $2 > metrics.yaml');

export const SCALING = [
  'sweeps:',
  '  scaling:',
  '    desc: heads x head_dim x bits',
  '    axes:',
  '      model.num_heads: [1, 2]',
  '      +head_dim: "8,16"',
  '      model.bits: range(2, 7, 2)',
  '    derived:',
  '      model.emb_dim: ${model.num_heads * head_dim}',
  '      model.mlp_dim: ${model.emb_dim * 4}',
];


/** A temp project with the fixture pipeline (its counters need the project's own path). */
export function sweepProject(sweeps: string[] = SCALING): Project {
  const p = createProject({ 'params.yaml': PARAMS, 'input.txt': 'data\n', 'eval.sh': EVAL_SH });
  p.write('pipeline.yaml', pipeline(p.dir, sweeps));
  return p;
}

export interface ShowJson {
  sweep: string;
  columns: string[];
  rows: Record<string, unknown>[];
  variants: { id: string; status: string; duration_s: number | null; params: Record<string, unknown>; derived: Record<string, unknown>; metrics: Record<string, unknown>; stages: Record<string, string>; error?: { stage?: string; message: string; log?: string } }[];
}
