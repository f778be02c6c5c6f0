// Running a SQL Server step type the way the engine does, for the step tests.
import type { StepDefinition, StepImplementation } from '../../src/steps/contract.ts'
import type { TestStepContext } from './step-context.ts'

/** A step type's parsed params and its loaded implementation. */
export async function loadStep<P>(definition: StepDefinition, raw: Record<string, unknown>) {
  const params = definition.params.parse(raw) as P
  const implementation = (await definition.load()) as StepImplementation<P>
  return { params, implementation }
}

/** plan then apply, as the engine does outside a dry run. */
export async function planAndApply(
  definition: StepDefinition,
  raw: Record<string, unknown>,
  t: TestStepContext,
) {
  const { params, implementation } = await loadStep(definition, raw)
  const plan = await implementation.plan(t.ctx, params)
  const outputs = await implementation.apply(t.ctx, params, plan)
  return { plan, outputs }
}
