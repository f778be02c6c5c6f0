import type { StepDefinition } from './contract.js'
import { approve } from './core/approve.js'
import { exec } from './core/exec.js'
import { noop } from './core/noop.js'
import { wait } from './core/wait.js'
import { route53Weights } from './route53/weights.js'

/** Every step type a runbook may name in `uses`. The engine finds types here, never by name. */
export const stepTypes: ReadonlyMap<string, StepDefinition> = new Map(
  [exec, wait, approve, noop, route53Weights].map((definition) => [definition.type, definition]),
)
