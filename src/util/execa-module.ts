type ExecaModule = typeof import('execa');

let loaded: ExecaModule | undefined;

/**
 * execa, imported on first use: loading it costs more than `orchestrator status` takes in all, and a
 * pipeline without local, Slurm or git work never needs it.
 */
export async function loadExeca(): Promise<ExecaModule> {
  return (loaded ??= await import('execa'));
}

/**
 * execa if something already loaded it, for the synchronous last-moment kills: whatever they would
 * stop was started after the module loaded, so undefined means there is nothing to stop.
 */
export function loadedExeca(): ExecaModule | undefined {
  return loaded;
}
