// A saved plan is what `run --plan` holds a run to, so planning an unchanged world twice must give the same
// plan: no run id, clock or random value in any step type's changes. Through the built CLI, against the
// demo platform in this process (free ports), as in flagship.test.ts.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DEMO_PLATFORM, type DemoPlatform, startDemoPlatform } from '../src/sandbox/demo-platform.ts'
import { stepTypes } from '../src/steps/index.ts'
import { root, scratchSpace, startSwitchyard } from './helpers/cli.ts'
import { flagshipOverrides } from './helpers/flagship.ts'

const scratch = scratchSpace('plan-determinism')
let platform: DemoPlatform

before(async () => {
  platform = await startDemoPlatform({ fixedPorts: false, seedingBytesPerSecond: 2 * 1024 ** 3 })
})
after(async () => {
  await platform?.close()
  scratch.cleanup()
})

const flagship = join(root, 'runbooks', 'giftcard-cutover.yaml')
const sandboxParams = join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')

const overrides = () => flagshipOverrides(platform)

// The step types the flagship does not use, each once, against the same world.
const OTHERS = `version: 1
name: other-step-types
params:
  zone: { required: true }
targets:
  web: { ec2: { tags: { Role: web, Env: prod } } }
phases:
  - id: all
    steps:
      - id: weights
        uses: route53.weights
        with: { zone: "\${{ params.zone }}", record: { name: www.gift.example, type: CNAME }, weights: { onprem: 90, aws: 10 } }
      - id: snapshots
        uses: ec2.snapshot
        with: { instances: "\${{ targets.web.instances }}" }
      - id: remote
        uses: ssm.run
        with: { instances: "\${{ targets.web.instances }}", script: "Write-Output ready" }
      - id: hold
        uses: wait
        with: { duration: 1s }
      - id: nothing
        uses: noop
      - id: confirm
        uses: approve
        with: { message: carry on? }
      - id: local
        uses: exec
        with: { command: "true" }
`

// Not spawnSync: the platform answers from this process's event loop, which must keep turning.
const cli = (dir: string, args: string[]) =>
  startSwitchyard(dir, args, { ...platform.env, AWS_PROFILE: '' }).done

async function planTwice(dir: string, args: string[]) {
  const plans = []
  for (const out of ['first.json', 'second.json']) {
    const result = await cli(dir, ['plan', ...args, '--out', out])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    plans.push(JSON.parse(readFileSync(join(dir, out), 'utf8')) as { steps: Record<string, unknown> })
  }
  return plans as [{ steps: Record<string, unknown> }, { steps: Record<string, unknown> }]
}

describe('plans are deterministic', () => {
  test('every step type plans the same changes twice against an unchanged world', async () => {
    const dir = scratch.workspace()
    const [a, b] = await planTwice(dir, [flagship, '--params', sandboxParams, ...overrides()])
    assert.deepEqual(b.steps, a.steps)
    writeFileSync(join(dir, 'others.yaml'), OTHERS)
    const [c, d] = await planTwice(dir, ['others.yaml', '-p', `zone=${DEMO_PLATFORM.zone}`])
    assert.deepEqual(d.steps, c.steps)

    const planned = new Set<string>()
    for (const file of [flagship, join(dir, 'others.yaml')])
      for (const [, type] of readFileSync(file, 'utf8').matchAll(/^\s+uses: (\S+)/gm))
        planned.add(type as string)
    const unplanned = [...stepTypes.keys()].filter((type) => !planned.has(type))
    assert.deepEqual(unplanned, [], 'every step type is planned by one of the two runbooks')
  })

  test('the flagship planned with plan --out runs to the end with run --plan', async () => {
    const dir = scratch.workspace()
    const args = [flagship, '--params', sandboxParams, ...overrides()]
    const plan = await cli(dir, ['plan', ...args, '--out', 'reviewed.json'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    const run = await cli(dir, ['run', ...args, '--plan', 'reviewed.json', '--yes'])
    assert.equal(run.code, 0, run.stdout.slice(-3000) + run.stderr)
    assert.doesNotMatch(run.stdout + run.stderr, /plan is stale/)
  })
})
