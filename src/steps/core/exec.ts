import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

const commandShape = {
  run: z.optional(z.string().check(z.minLength(1), z.describe('A shell command line, run with /bin/sh -c'))),
  command: z.optional(
    z.array(z.string()).check(z.minLength(1), z.describe('A program and its arguments, run without a shell')),
  ),
  cwd: z.optional(z.string().check(z.describe('Working directory'))),
  env: z.optional(z.record(z.string(), z.string()).check(z.describe('Extra environment variables'))),
}

const oneWayToRun = z.refine<{ run?: string; command?: string[] }>(
  (c) => (c.run === undefined) !== (c.command === undefined),
  {
    error: 'give exactly one of run (a shell line) or command (a program and its arguments)',
  },
)

export const exec = defineStep({
  type: 'exec',
  summary: 'Run a local command; optionally an undo command for rollback',
  params: z
    .strictObject({
      ...commandShape,
      idempotent: z.optional(
        z
          .boolean()
          .check(
            z.describe(
              'true if running the command twice is safe; otherwise resume asks before re-running it',
            ),
          ),
      ),
      success_codes: z.optional(
        z
          .array(z.int().check(z.gte(0), z.lte(255)))
          .check(z.minLength(1), z.describe('Exit codes that mean success (default [0])')),
      ),
      undo: z.optional(
        z
          .strictObject(commandShape)
          .check(oneWayToRun, z.describe('The command that undoes this one, run by rollback')),
      ),
    })
    .check(oneWayToRun),
  idempotent: (p) => p.idempotent === true,
  reversible: (p) => p.undo !== undefined,
})
