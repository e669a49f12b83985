import { chooseDialect, RUNNER_VARIABLE } from '../exec/local/dialects.js';
import type { DoctorCheck } from './check.js';

/** Which program starts local commands: the native helper when it was built, else the shell runner. */
export const localCheck: DoctorCheck = async (ctx) => {
  const dialect = chooseDialect(ctx.env[RUNNER_VARIABLE]);
  if (typeof dialect === 'string') return [{ name: 'local runner', status: 'fail', detail: dialect, hint: `unset ${RUNNER_VARIABLE}, or run npm run build with a C compiler` }];
  if (dialect.name === 'native') return [{ name: 'local runner', status: 'ok', detail: `native helper ${dialect.file}` }];
  const why = ctx.env[RUNNER_VARIABLE] === 'sh' ? `chosen by ${RUNNER_VARIABLE}=sh` : 'native helper not built';
  return [{ name: 'local runner', status: 'ok', detail: `shell (${why}); about 0.2–0.4 ms more per command`, hint: 'install a C compiler and run npm run build for the native helper' }];
};
