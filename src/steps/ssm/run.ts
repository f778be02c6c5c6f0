import * as z from 'zod/mini'
import { DURATION_PATTERN, parseDuration } from '../../runbook/duration.js'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { ManagedInstanceIds } from '../ec2/instance-ids.js'

/** The two documents whose `commands` switchyard builds from `script` and `values`. */
export const SCRIPT_DOCUMENTS = ['AWS-RunPowerShellScript', 'AWS-RunShellScript'] as const
export const DEFAULT_DOCUMENT = 'AWS-RunPowerShellScript'

const RATE = /^([1-9][0-9]*|[1-9][0-9]?%|100%)$/
const ERRORS = /^(0|[1-9][0-9]*|[0-9]?[0-9]%|100%)$/

/** `50`, `'50'` or `'10%'`, as SSM's MaxConcurrency and MaxErrors take them. */
const countOrPercent = (pattern: RegExp, what: string) =>
  z.union([z.int(), z.string()]).check(
    z.refine((value) => pattern.test(String(value)), {
      error: `${what} is a whole number or a percentage, e.g. 50 or '10%'`,
    }),
  )

const document = z
  .string()
  .check(
    z.minLength(1),
    z.describe(`The SSM document to run (default ${DEFAULT_DOCUMENT}; or AWS-RunShellScript, or any other)`),
  )

const script = z.string().check(z.minLength(1))

/** SSM's executionTimeout is whole seconds, at most 48 hours. */
export const timeoutSeconds = (text: string): number => Math.ceil(parseDuration(text) / 1000)

const ExecutionTimeout = Duration.check(
  z.refine((text) => !DURATION_PATTERN.test(text) || timeoutSeconds(text) <= 172_800, {
    error: 'timeout is at most 48h (SSM executionTimeout)',
  }),
)

export const usesScript = (d: string | undefined) =>
  (SCRIPT_DOCUMENTS as readonly string[]).includes(d ?? DEFAULT_DOCUMENT)

export const ssmRunParams = z
  .strictObject({
    instances: ManagedInstanceIds,
    document: z.optional(document),
    script: z.optional(
      script.check(
        z.describe('The commands (PowerShell, or shell for AWS-RunShellScript); values go in `values`'),
      ),
    ),
    parameters: z.optional(
      z
        .record(z.string(), z.array(z.string()))
        .check(z.describe('Document parameters, for documents other than the two run-script ones')),
    ),
    values: z.optional(
      z.record(z.string(), z.string()).check(
        z.refine((values) => Object.keys(values).every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)), {
          error: 'a value name is a variable name: letters, digits and _ (it becomes $name in the script)',
        }),
        z.describe(
          'Values set as variables before the script ($name), base64-encoded so no quoting can break out',
        ),
      ),
    ),
    max_concurrency: z.optional(
      countOrPercent(RATE, 'max_concurrency').check(
        z.describe('Instances running at once, per batch of 50 (SSM MaxConcurrency), e.g. 50 or 10%'),
      ),
    ),
    max_errors: z.optional(
      countOrPercent(ERRORS, 'max_errors').check(
        z.describe('Errors after which SSM stops sending the command, per batch of 50 (SSM MaxErrors)'),
      ),
    ),
    timeout: z.optional(
      ExecutionTimeout.check(z.describe('Execution timeout on each instance (SSM executionTimeout)')),
    ),
    poll: z.optional(Duration.check(z.describe('Time between status reads (default 5s)'))),
    idempotent: z.optional(
      z.boolean().check(z.describe('true if running it twice is safe; otherwise resume asks first')),
    ),
    rollback: z.optional(
      z
        .strictObject({ script, document: z.optional(document) })
        .check(z.describe('A script that reverses this one, run the same way by rollback')),
    ),
  })
  .check(
    z.refine((p) => !usesScript(p.document) || p.script !== undefined, {
      error: 'script is required with AWS-RunPowerShellScript and AWS-RunShellScript',
    }),
    z.refine((p) => usesScript(p.document) || (p.script === undefined && p.values === undefined), {
      error: 'script and values are only for AWS-RunPowerShellScript and AWS-RunShellScript; use parameters',
    }),
    z.refine((p) => !usesScript(p.document) || p.parameters?.commands === undefined, {
      error: 'write the commands in script, not parameters.commands',
    }),
    z.refine((p) => p.rollback === undefined || usesScript(p.rollback.document ?? p.document), {
      error: 'a rollback script runs with AWS-RunPowerShellScript or AWS-RunShellScript',
    }),
  )

export type SsmRunParams = z.infer<typeof ssmRunParams>

export const ssmRun = defineStep({
  type: 'ssm.run',
  summary: 'Run a script or SSM document on instances with SSM Run Command, in batches of 50',
  params: ssmRunParams,
  idempotent: (p) => p.idempotent === true,
  reversible: (p) => p.rollback !== undefined,
  usesAws: true,
  load: () => import('./run-step.js').then((m) => m.ssmRunStep),
})
