import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

const commandShape = {
  command: z
    .string()
    .check(z.minLength(1), z.describe('The program to run (a whole command line with shell: true)')),
  args: z.optional(
    z.array(z.string()).check(z.describe('Arguments, passed as they are: no shell, no quoting')),
  ),
  shell: z.optional(z.boolean().check(z.describe('Run command through /bin/sh -c (default false)'))),
  cwd: z.optional(z.string().check(z.describe('Working directory'))),
  env: z.optional(z.record(z.string(), z.string()).check(z.describe('Extra environment variables'))),
  input: z.optional(z.string().check(z.describe('Written to the standard input'))),
}

const noArgsWithShell = z.refine<{ shell?: boolean; args?: string[] }>((c) => !(c.shell && c.args), {
  error: 'args are not used with shell: true; write the whole line in command',
})

export const execParams = z
  .strictObject({
    ...commandShape,
    success_codes: z.optional(
      z
        .array(z.int().check(z.gte(0), z.lte(255)))
        .check(z.minLength(1), z.describe('Exit codes that mean success (default [0])')),
    ),
    idempotent: z.optional(
      z
        .boolean()
        .check(z.describe('true if running it twice is safe; otherwise resume asks before running it again')),
    ),
    rollback: z.optional(
      z
        .strictObject(commandShape)
        .check(noArgsWithShell, z.describe('The command that reverses this one, run by rollback')),
    ),
  })
  .check(noArgsWithShell)

export type ExecParams = z.infer<typeof execParams>

/** shell: true, or an expression that may turn out true: the command is a /bin/sh line. */
const runsInShell = (command: unknown): boolean => {
  const shell = (command as { shell?: unknown } | undefined)?.shell
  return shell !== undefined && shell !== false
}

export const exec = defineStep({
  type: 'exec',
  summary: 'Run a program on this machine; optionally a rollback command that reverses it',
  params: execParams,
  idempotent: (p) => p.idempotent === true,
  reversible: (p) => p.rollback !== undefined,
  shellCommands: (w) => [
    ...(runsInShell(w) ? [['command']] : []),
    ...(runsInShell(w.rollback) ? [['rollback', 'command']] : []),
  ],
  load: () => import('./exec-step.js').then((m) => m.execStep),
})
