import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { bin, type CliResult, journalEvents, lines, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('crash')
after(scratch.cleanup)

const STEPS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
const step = (id: string, needs = '') => `      - id: ${id}
        uses: exec
${needs ? `        needs: ${needs}\n` : ''}        with:
          command: sh
          args: [-c, 'echo once >> count-${id}']
          idempotent: true
          rollback: { command: sh, args: [-c, 'echo undo >> undo-${id}'] }
`
const RUNBOOK = `version: 1
name: crashy
concurrency: 1
phases:
  - id: one
    steps:
${step('a')}${step('b', 'a')}${step('c')}  - id: two
    steps:
${step('d')}${step('e', 'd')}  - id: three
    steps:
${step('f')}${step('g', 'f')}${step('h', 'g')}  - id: four
    steps:
${step('i')}${step('j', 'i')}`

function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, CI: 'true', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Journal lengths seen right after a kill: each is a distinct point the run died at. */
const killedAt = new Set<number>()

/** Runs, is killed right after event `k` is durable, then recovers the way an operator would. */
async function crashAndRecover(k: number): Promise<string> {
  const dir = join(scratch.dir, `k${k}`)
  mkdirSync(dir)
  writeRunbook(dir, RUNBOOK)
  const first = await cli(dir, ['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: String(k) })
  assert.equal(first.signal, 'SIGKILL', `k=${k}: the run was killed\n${first.stdout}${first.stderr}`)
  killedAt.add(journalEvents(dir).length)
  const unlock = await cli(dir, ['unlock', 'crashy', '--force'])
  assert.equal(unlock.code, 0, `k=${k}: ${unlock.stderr}`)
  const resumed = await cli(dir, ['resume'])
  assert.equal(resumed.code, 0, `k=${k}: resume completes\n${resumed.stdout}${resumed.stderr}`)
  return dir
}

test('resume after kill -9 at every event boundary completes the run with each step applied exactly once', async () => {
  const clean = join(scratch.dir, 'clean')
  mkdirSync(clean)
  writeRunbook(clean, RUNBOOK)
  const reference = await cli(clean, ['run', 'runbook.yaml'])
  assert.equal(reference.code, 0, reference.stdout + reference.stderr)
  const total = journalEvents(clean).length
  assert.ok(total >= 21, `enough boundaries to test: ${total}`)

  const points = Array.from({ length: total - 1 }, (_, i) => i + 1)
  const pending = [...points]
  const failures: string[] = []
  const worker = async () => {
    for (let k = pending.shift(); k !== undefined; k = pending.shift()) {
      try {
        const dir = await crashAndRecover(k)
        for (const id of STEPS)
          assert.equal(lines(join(dir, `count-${id}`)).length, 1, `k=${k}: step ${id} ran once`)
        const events = journalEvents(dir)
        assert.equal(events.filter((e) => e.type === 'run-completed').length, 1, `k=${k}: completed once`)
        assert.deepEqual(
          events.map((e) => e.seq),
          events.map((_, i) => i + 1),
          `k=${k}: the journal is one unbroken sequence`,
        )
      } catch (error) {
        failures.push((error as Error).message)
      }
    }
  }
  await Promise.all([worker(), worker(), worker()])
  assert.deepEqual(failures, [], `${failures.length} of ${points.length} crash points failed`)
  assert.ok(killedAt.size >= 20, `killed at ${killedAt.size} distinct points of the run`)
})
