// A step type loaded and driven as the engine drives it, for tests that call steps without the CLI.
import type { StepDefinition, StepImplementation } from '../../src/steps/contract.ts'
import type { TestStepContext } from './step-context.ts'

/** The step's params parsed by its schema, and its implementation loaded. */
export async function step<P>(definition: StepDefinition, raw: Record<string, unknown>) {
  const params = definition.params.parse(raw) as P
  const implementation = (await definition.load()) as StepImplementation<P>
  return { params, implementation }
}

/** plan then apply, as the engine does outside a dry run. */
export async function run(definition: StepDefinition, raw: Record<string, unknown>, t: TestStepContext) {
  const { params, implementation } = await step(definition, raw)
  const plan = await implementation.plan(t.ctx, params)
  const outputs = await implementation.apply(t.ctx, params, plan)
  return { plan, outputs }
}
