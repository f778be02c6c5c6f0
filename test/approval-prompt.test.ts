// The approval prompt as an operator meets it: in a real terminal (tmux), typed into key by key.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { invokedPattern, journalEvents, scratchSpace, switchyard, writeRunbook } from './helpers/cli.ts'
import { hasTmux, openTerminal, type Terminal } from './helpers/pty.ts'

const GATED = `version: 1
name: gated
phases:
  - id: prepare
    steps:
      - id: note
        uses: noop
  - id: cutover
    approval: required
    description: Point the site at the new servers
    steps:
      - id: flip
        uses: exec
        with: { command: sh, args: [-c, 'echo flipped > flipped'] }
`

const space = scratchSpace('approval-prompt')
after(space.cleanup)

const terminals: Terminal[] = []
after(() => {
  for (const terminal of terminals) terminal.close()
})

function gatedWorkspace(): string {
  const dir = space.workspace()
  writeRunbook(dir, GATED, 'gated.yaml')
  return dir
}

function cli(dir: string, args: string[]): Terminal {
  const terminal = openTerminal(args, { cwd: dir, env: { SWITCHYARD_OPERATOR: 'night-shift' } })
  terminals.push(terminal)
  return terminal
}

const ASKS_FOR_CUTOVER = /Type "cutover" to approve as night-shift/
const ASKS_FOR_REASON = /Reason for approving phase cutover \(recorded in the journal\)/

const pauses = (dir: string) => journalEvents(dir).filter((e) => e.type === 'run-paused')

describe('the approval prompt in a terminal', { skip: !hasTmux && 'tmux is not installed' }, () => {
  test('the Reason question is drawn after the phase id, echoes what is typed, and the run goes on', async () => {
    const dir = gatedWorkspace()
    const run = cli(dir, ['run', 'gated.yaml'])
    await run.waitFor(ASKS_FOR_CUTOVER)
    run.type('cutover', true)
    await run.waitFor(ASKS_FOR_REASON)
    run.type('change 4711 window is open')
    await run.waitFor(/Reason for approving phase cutover .*: change 4711 window is open/)
    run.press('Enter')
    assert.equal(await run.exited(), 0)
    assert.match(run.screen(), /✔ cutover \(approved by night-shift\)/)
    const granted = journalEvents(dir).find((e) => e.type === 'approval-granted')
    assert.equal(granted?.reason, 'change 4711 window is open')
    assert.equal(granted?.via, 'prompt')
    assert.ok(existsSync(join(dir, 'flipped')), 'the approved phase ran')
  })

  test('Ctrl-D at either question pauses the run, journals who left which approval, frees the lock, and resume asks again', async () => {
    const dir = gatedWorkspace()
    const lock = join(dir, '.switchyard', 'locks', 'gated.lock')

    const run = cli(dir, ['run', 'gated.yaml'])
    await run.waitFor(ASKS_FOR_CUTOVER)
    assert.ok(existsSync(lock), 'the run holds the lock while it asks')
    run.press('C-d')
    assert.equal(await run.exited(), 3)
    const runId = String(journalEvents(dir)[0]?.runId)
    assert.match(run.history(), /approval for phase cutover was left unanswered by night-shift \(Ctrl-D\)/)
    assert.match(run.history(), new RegExp(`${invokedPattern} resume ${runId}\\n`))
    const [first] = pauses(dir)
    assert.deepEqual(first?.leftApproval, {
      kind: 'phase',
      id: 'cutover',
      leftWith: 'Ctrl-D',
      operator: 'night-shift',
      osUser: userInfo().username,
    })
    assert.ok(!Number.isNaN(Date.parse(String(first?.at))), 'the pause says when')
    assert.ok(!existsSync(lock), 'the lock is released')
    assert.match(
      switchyard(dir, ['status']).stdout,
      new RegExp(`run ${runId}: paused \\(the approval for phase cutover was left unanswered`),
    )
    assert.ok(!existsSync(join(dir, 'flipped')), 'nothing past the approval ran')

    const resumed = cli(dir, ['resume'])
    await resumed.waitFor(ASKS_FOR_CUTOVER)
    resumed.type('cutover', true)
    await resumed.waitFor(ASKS_FOR_REASON)
    resumed.press('C-d')
    assert.equal(await resumed.exited(), 3)
    assert.deepEqual(
      pauses(dir).map((e) => (e.leftApproval as { id?: string } | undefined)?.id),
      ['cutover', 'cutover'],
    )
    assert.ok(!existsSync(lock), 'the lock is released again')
    assert.ok(
      !journalEvents(dir).some((e) => e.type === 'approval-granted'),
      'a half-given approval is no approval',
    )

    const again = cli(dir, ['resume'])
    await again.waitFor(ASKS_FOR_CUTOVER)
    again.type('cutover', true)
    await again.waitFor(ASKS_FOR_REASON)
    again.type('back at the desk', true)
    assert.equal(await again.exited(), 0)
    assert.ok(existsSync(join(dir, 'flipped')), 'the resumed run went on past the approval')
  })

  test('Ctrl-C at an approve step’s question pauses the run there, as Ctrl-D does, and frees the lock', async () => {
    const dir = space.workspace()
    writeRunbook(
      dir,
      `version: 1
name: stepped
phases:
  - id: cutover
    steps:
      - id: go-ahead
        uses: approve
        with: { message: DNS change ticket signed off? }
`,
      'stepped.yaml',
    )
    const run = cli(dir, ['run', 'stepped.yaml'])
    await run.waitFor(/Type "go-ahead" to approve as night-shift/)
    run.press('C-c')
    assert.equal(await run.exited(), 3)
    assert.match(
      String(pauses(dir)[0]?.reason),
      /approval for step go-ahead was left unanswered by night-shift \(Ctrl-C\)/,
    )
    assert.ok(!existsSync(join(dir, '.switchyard', 'locks', 'stepped.lock')), 'the lock is released')
  })
})
