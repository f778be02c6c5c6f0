import type * as z from 'zod/mini'

/**
 * What a step type declares to the runbook loader. Light on purpose: the loader imports every
 * definition, so a definition imports zod/mini and nothing else; the code that acts on the world
 * is loaded only when a step of that type is planned or applied.
 */
export interface StepDefinition<P = unknown> {
  /** The name runbooks write in `uses`, e.g. `route53.shift`. */
  type: string
  /** One line for `--help`, the JSON Schema and reports. */
  summary: string
  /** Validates `with` at load time (expression-valued fields are checked again once resolved). */
  params: z.ZodMiniType<P>
  /**
   * Whether applying the step again after a crash is safe. A step that is not idempotent is
   * never re-applied by resume without the operator saying so.
   */
  idempotent: (params: P) => boolean
  /** Whether the step's changes can be undone by compensate; shown as manual in plans when not. */
  reversible: (params: P) => boolean
}

export function defineStep<S extends z.ZodMiniType>(
  definition: StepDefinition<z.infer<S>> & { params: S },
): StepDefinition {
  return definition as unknown as StepDefinition
}
