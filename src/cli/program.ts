/**
 * The `mypay` command tree. Each subcommand lives in its own file and exports a `register*(program)`;
 * add it to {@link REGISTRARS} to make it part of the CLI.
 */
import { Command } from 'commander';
import { registerSend } from './send.js';
import { registerRefunds } from './refunds.js';
import { registerRetry } from './retry.js';

export type Registrar = (program: Command) => void;

export const REGISTRARS: Registrar[] = [registerSend, registerRefunds, registerRetry];

export function buildProgram(registrars: readonly Registrar[] = REGISTRARS): Command {
  const program = new Command('mypay').description('MYPAY LINK terminal orchestrator').showHelpAfterError();
  for (const register of registrars) register(program);
  return program;
}
