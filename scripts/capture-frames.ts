// `npm run frames`: runs the README's quick start in a real terminal (tmux) and writes what it showed
// into the README's "What you see" blocks, so the frames there are captured, never drawn by hand.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  checkoutLike,
  frameOf,
  openQuickStartShell,
  README,
  runQuickStart,
} from '../test/helpers/quickstart.ts'

const folder = mkdtempSync(join(tmpdir(), 'switchyard-frames-'))
const shell = openQuickStartShell(checkoutLike(folder), {
  columns: 100,
  env: { SWITCHYARD_OPERATOR: 'alice' },
})
try {
  const frames = await runQuickStart(shell)
  const traffic = frameOf(frames, /resume --approve traffic --until traffic$/)
  const running = traffic.screens.filter((screen) => /^ {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] shift\b/m.test(screen))
  const shifting = running.find((screen) => screen.includes('aws at 50%')) ?? running.at(-1)
  if (!shifting) throw new Error('no frame showed the traffic shift running')
  const rollback = frameOf(frames, /rollback --to preflight$/)
  let readme = readFileSync(README, 'utf8')
  readme = withFrame(readme, 'run', traffic.command, shifting)
  readme = withFrame(readme, 'rollback', rollback.command, rollback.text)
  writeFileSync(README, readme)
  console.log('README.md: the run and rollback frames are refreshed')
} finally {
  shell.close()
  rmSync(folder, { recursive: true, force: true })
}

/** Replaces the text block between `<!-- frame: NAME -->` and `<!-- /frame -->`. */
function withFrame(readme: string, name: string, command: string, frame: string): string {
  const block = new RegExp(`(<!-- frame: ${name} -->\\n)[\\s\\S]*?(<!-- /frame -->)`)
  if (!block.test(readme)) throw new Error(`README.md has no <!-- frame: ${name} --> block`)
  const text = ['```text', `$ ${command}`, frame.trimEnd(), '```', ''].join('\n')
  return readme.replace(block, (_all, open: string, close: string) => `${open}${text}${close}`)
}
