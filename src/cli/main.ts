/** Entry point of the `mypay` CLI (bin/mypay.js runs this file: through tsx in a clone, compiled from dist/ otherwise). Subcommands: program.ts. */
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`mypay: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
