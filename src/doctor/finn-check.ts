import { existsSync, readdirSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckResult, DoctorCheck, DoctorContext } from './check.js';

/** What the FINN checks read from the machine; injectable so tests need no Xilinx install. */
export interface MachineProbe {
  isDir: (p: string) => boolean;
  listDir: (p: string) => string[];
  exists: (p: string) => boolean;
  /** Bytes free for an unprivileged user on the file system holding `p`. */
  freeBytes: (p: string) => number;
  totalMemBytes: () => number;
  freeMemBytes: () => number;
}

export const realMachine: MachineProbe = {
  isDir: (p) => existsSync(p) && statSync(p).isDirectory(),
  listDir: (p) => readdirSync(p).sort(),
  exists: (p) => existsSync(p),
  freeBytes: (p) => {
    const s = statfsSync(p);
    return s.bavail * s.bsize;
  },
  totalMemBytes: () => os.totalmem(),
  freeMemBytes: () => os.freemem(),
};

const GB = 1024 ** 3;
/** FINN's defaults, the same as pipeline.yaml's `${env.X ?? ...}` fallbacks. */
const DEFAULT_XILINX_PATH = '/tools/Xilinx';
const DEFAULT_XILINX_VERSION = '2022.2';
/** One FINN-T build (attention-dummy: ~1 GB of outputs) plus Vivado's scratch; below this, builds die late. */
const DISK_WARN_GB = 20;
const DISK_FAIL_GB = 5;

const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;

/**
 * The FINN side of `orchestrator doctor`: Xilinx install and tool versions, license, FINN checkout,
 * free disk, memory against what the stages declare. (The FINN image itself is the Docker check's
 * image row.) Rows about the tools are skipped when no stage uses FINN's environment variables.
 */
export function finnChecks(machine: MachineProbe = realMachine): DoctorCheck {
  return async (ctx) => {
    const rows: CheckResult[] = [];
    if (usesXilinx(ctx)) rows.push(...xilinxRows(ctx, machine), licenseRow(ctx, machine), finnRootRow(ctx, machine));
    rows.push(diskRow(ctx, machine), memoryRow(ctx, machine));
    return rows;
  };
}

export const finnCheck: DoctorCheck = finnChecks();

/** A pipeline whose stages see XILINX_VIVADO/HLS_PATH (the FINN-T defaults) needs the tools. */
function usesXilinx(ctx: DoctorContext): boolean {
  if (!ctx.pipeline) return ctx.env.FINN_XILINX_PATH !== undefined;
  return ctx.pipeline.stages.some((s) => {
    const env = { ...s.env, ...s.container?.env };
    return 'XILINX_VIVADO' in env || 'HLS_PATH' in env;
  });
}

function xilinxRows(ctx: DoctorContext, m: MachineProbe): CheckResult[] {
  const root = ctx.env.FINN_XILINX_PATH || DEFAULT_XILINX_PATH;
  const version = ctx.env.FINN_XILINX_VERSION || DEFAULT_XILINX_VERSION;
  const source = ctx.env.FINN_XILINX_PATH ? 'FINN_XILINX_PATH' : 'default';
  if (!m.isDir(root)) {
    return [{
      name: 'Xilinx install',
      status: 'fail',
      detail: `${root} (${source}) not found`,
      hint: 'export FINN_XILINX_PATH=/path/to/Xilinx (the directory holding Vivado/ and Vitis_HLS/)',
    }];
  }
  const rows: CheckResult[] = [{ name: 'Xilinx install', status: 'ok', detail: `${root} (${source})` }];
  for (const tool of ['Vivado', 'Vitis_HLS']) {
    const dir = path.join(root, tool, version);
    if (m.isDir(dir)) {
      rows.push({ name: `${tool} ${version}`, status: 'ok', detail: dir });
      continue;
    }
    const found = m.isDir(path.join(root, tool)) ? m.listDir(path.join(root, tool)) : [];
    rows.push({
      name: `${tool} ${version}`,
      status: 'fail',
      detail: `${dir} not found${found.length > 0 ? `; found ${found.join(', ')}` : ''}`,
      hint: found.length > 0 ? `export FINN_XILINX_VERSION=${found[found.length - 1]} (FINN is tested with ${DEFAULT_XILINX_VERSION})` : `install ${tool} ${version} under ${root}`,
    });
  }
  return rows;
}

function licenseRow(ctx: DoctorContext, m: MachineProbe): CheckResult {
  const value = ctx.env.XILINXD_LICENSE_FILE;
  if (!value) {
    return {
      name: 'Xilinx license',
      status: 'warn',
      detail: 'XILINXD_LICENSE_FILE is not set',
      hint: 'export XILINXD_LICENSE_FILE=port@server or a .lic path; without it only devices the free edition covers will build',
    };
  }
  // Entries are `port@host` or file paths, separated by ':'.
  const files = value.split(':').filter((e) => e !== '' && !e.includes('@') && !/^\d+$/.test(e));
  const missing = files.filter((f) => !m.exists(f));
  if (missing.length > 0) {
    return { name: 'Xilinx license', status: 'fail', detail: `XILINXD_LICENSE_FILE names ${missing.join(', ')}, which does not exist`, hint: 'fix the path, or use port@server' };
  }
  return { name: 'Xilinx license', status: 'ok', detail: `XILINXD_LICENSE_FILE=${value} (passed into the container)` };
}

function finnRootRow(ctx: DoctorContext, m: MachineProbe): CheckResult {
  const root = ctx.env.FINN_ROOT;
  if (!root) return { name: 'FINN checkout', status: 'fail', detail: 'FINN_ROOT is not set', hint: 'export FINN_ROOT=/path/to/finn (the checkout run-docker.sh lives in); the image installs FINN from it' };
  if (!m.isDir(root)) return { name: 'FINN checkout', status: 'fail', detail: `FINN_ROOT=${root} not found`, hint: 'export FINN_ROOT=/path/to/finn' };
  return { name: 'FINN checkout', status: 'ok', detail: root };
}

function diskRow(ctx: DoctorContext, m: MachineProbe): CheckResult {
  let free: number;
  try {
    free = m.freeBytes(ctx.root);
  } catch (e) {
    return { name: 'free disk', status: 'warn', detail: `could not read: ${(e as Error).message}` };
  }
  const detail = `${gb(free)} free under ${ctx.root}`;
  if (free < DISK_FAIL_GB * GB) return { name: 'free disk', status: 'fail', detail, hint: `FINN builds (build/, the cache) need at least ${DISK_WARN_GB} GB; run orchestrator gc or free space` };
  if (free < DISK_WARN_GB * GB) return { name: 'free disk', status: 'warn', detail, hint: `a FINN-T build with Vivado wants ${DISK_WARN_GB} GB or more` };
  return { name: 'free disk', status: 'ok', detail };
}

function memoryRow(ctx: DoctorContext, m: MachineProbe): CheckResult {
  const total = m.totalMemBytes();
  const free = m.freeMemBytes();
  const needs = (ctx.pipeline?.stages ?? []).filter((s) => s.resources.mem_gb !== undefined);
  const detail = `${gb(total)} total, ${gb(free)} free`;
  if (needs.length === 0) return { name: 'memory', status: 'ok', detail: `${detail}; no stage declares mem_gb` };
  const largest = needs.reduce((a, b) => (b.resources.mem_gb! > a.resources.mem_gb! ? b : a));
  const need = largest.resources.mem_gb! * GB;
  const what = `largest need ${largest.resources.mem_gb} GB (${largest.name})`;
  if (total < need) return { name: 'memory', status: 'fail', detail: `${detail}; ${what}`, hint: `lower stage_resources.${largest.name}.mem_gb in params.yaml only if the tool really needs less, or run on a bigger machine` };
  if (free < need) return { name: 'memory', status: 'warn', detail: `${detail}; ${what}`, hint: 'other processes hold the memory that stage needs' };
  return { name: 'memory', status: 'ok', detail: `${detail}; ${what}` };
}
