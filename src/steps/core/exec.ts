import { z } from 'zod'
import { defineStep } from '../contract.js'

const commandShape = {
  run: z.string().min(1).optional().describe('A shell command line, run with /bin/sh -c'),
  command: z.array(z.string()).min(1).optional().describe('A program and its arguments, run without a shell'),
  cwd: z.string().optional().describe('Working directory'),
  env: z.record(z.string(), z.string()).optional().describe('Extra environment variables'),
}

const oneWayToRun = [
  (c: { run?: string; command?: string[] }) => (c.run === undefined) !== (c.command === undefined),
  { error: 'give exactly one of run (a shell line) or command (a program and its arguments)' },
] as const

export const exec = defineStep({
  type: 'exec',
  summary: 'Run a local command; optionally an undo command for rollback',
  params: z
    .strictObject({
      ...commandShape,
      idempotent: z
        .boolean()
        .optional()
        .describe('true if running the command twice is safe; otherwise resume asks before re-running it'),
      success_codes: z
        .array(z.int().min(0).max(255))
        .min(1)
        .optional()
        .describe('Exit codes that mean success (default [0])'),
      undo: z
        .strictObject(commandShape)
        .refine(...oneWayToRun)
        .optional()
        .describe('The command that undoes this one, run by rollback'),
    })
    .refine(...oneWayToRun),
  idempotent: (p) => p.idempotent === true,
  reversible: (p) => p.undo !== undefined,
})
