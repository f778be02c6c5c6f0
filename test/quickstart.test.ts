// The README's quick start, typed command by command into a shell in a real terminal (tmux), twice in
// one checkout: each command's frame shows the marks an operator relies on, and the second round
// finds the world the first left behind.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { scratchSpace } from './helpers/cli.ts'
import { hasTmux } from './helpers/pty.ts'
import {
  checkoutLike,
  type Frame,
  frameOf,
  openQuickStartShell,
  quickStartCommands,
  runQuickStart,
} from './helpers/quickstart.ts'

const space = scratchSpace('quickstart')
after(space.cleanup)

const SPINNER = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]'
const mark = (frame: Frame, phase: string) =>
  new RegExp(`^(\\S) ${phase}\\b`, 'm').exec(frame.text)?.[1] ?? `no line for phase ${phase}`

describe('the README quick start in a terminal', { skip: !hasTmux && 'tmux is not installed' }, () => {
  test('the README quick start runs, twice in one checkout, showing the right marks at each step', async () => {
    const commands = quickStartCommands()
    const token = /^export QUICKSTART_TOKEN=(\S+)$/m.exec(commands.join('\n'))?.[1]
    assert.ok(token, 'the quick start sets its secret')
    const checkout = checkoutLike(space.workspace())
    const demo = join(checkout, 'runbooks', 'demo')
    const shell = openQuickStartShell(checkout)
    after(() => shell.close())

    for (const round of [1, 2]) {
      const frames = await runQuickStart(shell)
      for (const frame of frames)
        assert.equal(
          frame.exitCode,
          0,
          `round ${round}: ${frame.command} exited ${frame.exitCode}\n${frame.text}`,
        )
      for (const frame of frames.slice(1))
        assert.ok(!frame.text.includes(token), `round ${round}: ${frame.command} shows the secret`)

      assert.match(frameOf(frames, / plan /).text, /5 change\(s\), 2 of them not undone by rollback/)

      const upToPreflight = frameOf(frames, /run runbooks\/quickstart\.yaml --until preflight$/)
      assert.equal(mark(upToPreflight, 'preflight'), '✔')
      for (const phase of ['traffic', 'finalize'])
        assert.notEqual(mark(upToPreflight, phase), '✔', `${phase} did not run:\n${upToPreflight.text}`)

      const traffic = frameOf(frames, /resume --approve traffic --until traffic$/)
      // A frame once the shift reports a stage: settled, not one listr2 draws as it starts the tasks.
      const shifting = traffic.screens.find(
        (s) => new RegExp(`^  ${SPINNER} shift\\b`, 'm').test(s) && /^› shift: aws at \d+%$/m.test(s),
      )
      assert.ok(shifting, `a frame shows the shift running:\n${traffic.screens.join('\n---\n')}`)
      assert.match(shifting, /^✔ preflight$/m)
      assert.match(shifting, /^[❯⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] traffic \(approved by /m)
      assert.match(shifting, /^ {2}◼ settle\b/m, 'a step waiting for the running one is pending')
      assert.match(shifting, /^◼ finalize\b/m, 'a phase not yet reached is pending')
      assert.equal(mark(traffic, 'preflight'), '✔')
      assert.equal(mark(traffic, 'traffic'), '✔')
      assert.notEqual(mark(traffic, 'finalize'), '✔', `finalize did not run:\n${traffic.text}`)

      assert.match(frameOf(frames, /--dry-run$/).text, /undo\s+traffic\.shift/)
      const rolledBack = frameOf(frames, /rollback --to preflight$/)
      assert.match(rolledBack.text, /rolled back to preflight: 1 step\(s\) undone/)
      assert.deepEqual(
        ['preflight', 'traffic', 'finalize'].map((p) => mark(rolledBack, p)),
        ['✔', '←', '↓'],
        `after the rollback, traffic is rolled back and finalize was never run:\n${rolledBack.text}`,
      )

      const forward = frames.at(-1) as Frame
      assert.match(forward.command, /resume --approve traffic$/)
      assert.deepEqual(
        ['preflight', 'traffic', 'finalize'].map((p) => mark(forward, p)),
        ['✔', '✔', '✔'],
      )
      assert.match(forward.text, /run \S+ completed/)

      assert.deepEqual(readdirSync(demo).sort(), ['aws', 'onprem.retired', 'weights'], `round ${round}`)
      assert.deepEqual(readdirSync(join(demo, 'onprem.retired')), ['index.html'], `round ${round}`)
      assert.equal(readFileSync(join(demo, 'weights'), 'utf8').trim(), 'onprem 0 aws 100')
    }
  })
})
