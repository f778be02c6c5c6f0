// The README's quick start as a new user meets it: its own commands, typed one by one into a shell in a
// real terminal, from a folder laid out like a checkout. What each command left on the screen is its frame.
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './cli.ts'
import { openShellTerminal, type Terminal } from './pty.ts'

export const README = join(root, 'README.md')

/** The shell block of the README that runs runbooks/quickstart.yaml, line by line, comments dropped. */
export function quickStartCommands(readme = readFileSync(README, 'utf8')): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const block = blocks.find((b) => b.includes('run runbooks/quickstart.yaml'))
  if (!block) throw new Error('README.md has no ```sh block that runs runbooks/quickstart.yaml')
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** A folder laid out as the checkout the README speaks of: ./bin/run.js and runbooks/quickstart.yaml. */
export function checkoutLike(dir: string): string {
  symlinkSync(join(root, 'bin'), join(dir, 'bin'))
  mkdirSync(join(dir, 'runbooks'))
  copyFileSync(join(root, 'runbooks', 'quickstart.yaml'), join(dir, 'runbooks', 'quickstart.yaml'))
  return dir
}

export interface Frame {
  command: string
  exitCode: number
  /** What the command left in the terminal once it ended, from the line after the command to the next prompt. */
  text: string
  /** Each distinct screen seen while it ran, from the line after the command down. */
  screens: string[]
}

export interface QuickStartShell {
  /** Types a command line and waits for the prompt to come back. */
  enter(command: string): Promise<Frame>
  terminal: Terminal
  close(): void
}

/** Each prompt in the text, with the exit code it reports. */
const promptsIn = (text: string) => [...text.matchAll(/^\[exit (\d+)\] \$(?: |$)/gm)]

/** An interactive bash in a fresh terminal whose prompt says how the last command exited. */
export function openQuickStartShell(
  cwd: string,
  options: { columns?: number; env?: Record<string, string> } = {},
): QuickStartShell {
  const terminal = openShellTerminal(['bash', '--norc', '--noprofile', '-i'], {
    cwd,
    columns: options.columns ?? 100,
    rows: 50,
    env: { ...options.env, PS1: '[exit $?] $ ', HISTFILE: '/dev/null' },
  })
  let prompts = 1
  return {
    terminal,
    close: () => terminal.close(),
    async enter(command) {
      const screens = new Set<string>()
      await terminal.until(
        () => (promptsIn(terminal.history()).length >= prompts ? true : undefined),
        'the prompt',
      )
      terminal.type(command, true)
      const expected = ++prompts
      const history = await terminal.until(() => {
        const text = terminal.history()
        if (promptsIn(text).length >= expected) return text
        screens.add(belowLastPrompt(terminal.screen()))
        return undefined
      }, `the prompt after ${command}`)
      const starts = promptsIn(history)
      const before = starts[expected - 2] as RegExpExecArray
      const after = starts[expected - 1] as RegExpExecArray
      const body = history.slice(before.index, after.index)
      return {
        command,
        exitCode: Number(after[1]),
        text: body.slice(body.indexOf('\n') + 1).trimEnd(),
        screens: [...screens].filter(Boolean),
      }
    },
  }
}

function belowLastPrompt(screen: string): string {
  const last = promptsIn(screen).at(-1)
  if (!last) return screen
  const rest = screen.slice(last.index)
  return rest.includes('\n') ? rest.slice(rest.indexOf('\n') + 1) : ''
}

/** Types every command of the README's quick start, in order, into `shell`; the frame of each. */
export async function runQuickStart(shell: QuickStartShell): Promise<Frame[]> {
  const frames: Frame[] = []
  for (const command of quickStartCommands()) frames.push(await shell.enter(command))
  return frames
}

/** The frame of the quick-start command that matches: the README's wording may change, its steps may not. */
export function frameOf(frames: Frame[], command: RegExp): Frame {
  const frame = frames.find((f) => command.test(f.command))
  if (!frame)
    throw new Error(
      `the quick start has no command like ${command}: ${frames.map((f) => f.command).join(' | ')}`,
    )
  return frame
}
