export function varint(n: number | bigint): Buffer;
export function tag(no: number, wire: number): Buffer;
export function vi(no: number, n: number | bigint): Buffer;
export function ld(no: number, ...parts: Array<Buffer | string>): Buffer;
export function node(opType: string, name: string, inputs: string[], outputs: string[], domain?: string): Buffer;
export function valueInfo(name: string): Buffer;
export function annotation(tensor: string, dtype: string): Buffer;
export function smallModel(rows?: number, cols?: number): Buffer;
export function writeLargeModel(file: string, rows: number, cols: number): number;
