import { z } from 'zod'
import { DURATION_PATTERN } from './duration.js'

/** Ids name phases (rollback points), steps (`needs`, `steps.<id>`), params, secrets and targets. */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
    error: 'an id starts with a letter and holds letters, digits, - and _',
  })
  .max(64)

export const Duration = z
  .string({ error: 'a duration is a number with a unit: 500ms, 30s, 5m, 1h, 1h30m' })
  .regex(DURATION_PATTERN, { error: 'a duration is a number with a unit: 500ms, 30s, 5m, 1h, 1h30m' })
  .describe('A length of time: 500ms, 30s, 5m, 1h, 1h30m')

export const OnFailure = z
  .enum(['pause', 'rollback', 'abort'])
  .describe(
    'pause: stop and wait for the operator; rollback: roll back to the last rollback point; abort: stop',
  )

export const Retry = z
  .strictObject({
    attempts: z.int().min(1).max(100).describe('Tries in all, the first included'),
    backoff: Duration.optional().describe('Wait before the second try; doubles after each failure'),
    max_backoff: Duration.optional().describe('Longest wait between tries'),
  })
  .describe('How often to try a failing step again')

const Scalar = z.union([z.string(), z.number(), z.boolean()])

export const ParamSpec = z
  .strictObject({
    type: z.enum(['string', 'number', 'boolean', 'list']).optional().describe('Defaults to string'),
    default: z.union([Scalar, z.array(Scalar)]).optional(),
    required: z.boolean().optional().describe('A required param must be given with --param or --params'),
    allowed: z.array(Scalar).min(1).optional().describe('The only values accepted'),
    description: z.string().optional(),
  })
  .describe('A value the operator passes in with --param NAME=VALUE or --params FILE')

export const SecretSpec = z
  .strictObject({
    from: z
      .string()
      .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|ssm:\/.+)$/, {
        error: 'a secret comes from env:NAME, file:PATH or ssm:/parameter/path',
      })
      .describe('env:NAME, file:PATH or ssm:/parameter/path'),
    description: z.string().optional(),
  })
  .describe('A value that is read at run time and never printed, journaled or logged')

export const TargetSpec = z
  .strictObject({
    hosts: z.array(z.string().min(1)).min(1).optional().describe('Host names or addresses'),
    instances: z
      .array(
        z.string().regex(/^(i-[0-9a-f]{8,17}|\$\{\{.*\}\})$/, {
          error: 'an EC2 instance id looks like i-0123456789abcdef0',
        }),
      )
      .min(1)
      .optional()
      .describe('EC2 instance ids'),
    description: z.string().optional(),
  })
  .refine((t) => t.hosts !== undefined || t.instances !== undefined, {
    error: 'a target lists hosts or instances',
  })
  .describe('The machines a step acts on')

export const Needs = z
  .union([Identifier, z.array(Identifier)])
  .describe('Steps of the same phase that must succeed first')

export const StepSpec = z
  .strictObject({
    id: Identifier,
    name: z.string().optional().describe('A human-readable name shown in progress and reports'),
    description: z.string().optional(),
    uses: z.string().min(1).describe('The step type'),
    with: z.record(z.string(), z.unknown()).optional().describe("The step type's parameters"),
    needs: Needs.optional(),
    if: z.union([z.string(), z.boolean()]).optional().describe('Run the step only when this is true'),
    timeout: Duration.optional(),
    retry: Retry.optional(),
    continue_on_error: z.boolean().optional().describe('A failure is recorded but does not stop the phase'),
  })
  .describe('One unit of work')

export const PhaseSpec = z
  .strictObject({
    id: Identifier,
    name: z.string().optional(),
    description: z.string().optional(),
    approval: z
      .enum(['required', 'none'])
      .optional()
      .describe('required: the operator confirms before the phase starts'),
    point_of_no_return: z.boolean().optional().describe('After this phase completes, rollback needs --force'),
    on_failure: OnFailure.optional(),
    concurrency: z.int().min(1).max(256).optional(),
    steps: z.array(StepSpec).min(1, { error: 'a phase has at least one step' }),
  })
  .describe('Steps that run together; its end is a rollback point')

export const Defaults = z
  .strictObject({
    timeout: Duration.optional(),
    retry: Retry.optional(),
    continue_on_error: z.boolean().optional(),
  })
  .describe('Applied to every step that does not say otherwise')

export const RunbookSpec = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1 (the only runbook format so far)' }),
    name: Identifier.describe('Names the runbook; runs and locks are kept per name'),
    description: z.string().optional(),
    params: z.record(Identifier, ParamSpec).optional(),
    secrets: z.record(Identifier, SecretSpec).optional(),
    targets: z.record(Identifier, TargetSpec).optional(),
    defaults: Defaults.optional(),
    concurrency: z.int().min(1).max(256).optional().describe('Steps at once in a phase (default 4)'),
    on_failure: OnFailure.optional(),
    phases: z.array(PhaseSpec).min(1, { error: 'a runbook has at least one phase' }),
  })
  .describe('A switchyard runbook')

export type RunbookDocument = z.infer<typeof RunbookSpec>
export type PhaseDocument = z.infer<typeof PhaseSpec>
export type StepDocument = z.infer<typeof StepSpec>
export type ParamDocument = z.infer<typeof ParamSpec>
