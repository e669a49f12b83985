#!/bin/sh
':' //; [ -n "${MALLOC_TOP_PAD_+set}" ] || exec env MALLOC_TOP_PAD_=67108864 ORCHESTRATOR_MALLOC_TOP_PAD=1 node "$0" "$@"; exec node "$0" "$@"
/*
 * Run as a program (npx, npm's bin links, PATH), /bin/sh reads the line above and replaces itself
 * with node: no process in between, so signals and the exit status are node's own. Node reads that
 * line as a string and a comment. `node bin/orchestrator.js` skips it and works the same, without
 * the setting.
 *
 * The setting, for the orchestrator's own process only: glibc's malloc keeps 64 MiB free at the top
 * of its heap instead of giving back to the kernel everything above 128 KiB. Node's HTTP client
 * takes a fresh buffer for every 64 KiB socket read and copies each body chunk into another; with
 * glibc's default, a download of gigabytes gave those pages back and faulted them in again all the
 * time (an S3 fetch of 4 x 1 GB here: 1.40x rclone's time, 0.99x with it; bench/README.md). A value
 * the user set is kept; stage commands get the environment the user had.
 */
import { main } from '../dist/bundle/main.js';

if (process.env.ORCHESTRATOR_MALLOC_TOP_PAD === '1') {
  delete process.env.MALLOC_TOP_PAD_;
  delete process.env.ORCHESTRATOR_MALLOC_TOP_PAD;
}
process.exitCode = await main(process.argv.slice(2));
