// A real terminal for the CLI: tmux gives it a pty of a fixed size, we type into it with send-keys and
// read what an operator would see with capture-pane. One tmux server per terminal, on its own socket,
// so tests never share a screen and nothing is left running.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bin } from './cli.ts'

export interface Terminal {
  /** What the screen shows now: the visible pane, trailing blanks trimmed. */
  screen(): string
  /** Everything the pane has shown, the scrollback included. */
  history(): string
  /** Types text as keys; `enter` presses Enter after it. */
  type(text: string, enter?: boolean): void
  /** Presses named keys as tmux spells them: 'C-c', 'C-d', 'Enter', 'Up'. */
  press(...keys: string[]): void
  /** Waits until the screen (or, with `inHistory`, the scrollback) matches; returns that text. */
  waitFor(pattern: RegExp, options?: { inHistory?: boolean; what?: string }): Promise<string>
  /** Waits until `read` returns a value, reading every 50 ms: for what a pattern cannot say. */
  until<T>(read: () => T | undefined, what: string): Promise<T>
  /** Waits until the command has exited and returns its exit code. */
  exited(): Promise<number>
  close(): void
}

export const hasTmux = spawnSync('tmux', ['-V']).status === 0

export interface TerminalOptions {
  cwd: string
  env?: Record<string, string>
  columns?: number
  rows?: number
}

/** Starts `switchyard ARGS` (the built CLI) in a fresh terminal. */
export function openTerminal(args: string[], options: TerminalOptions): Terminal {
  return openShellTerminal([process.execPath, bin, ...args], options)
}

/** Starts any command in a fresh terminal; the pane stays open after it exits so its last frame can be read. */
export function openShellTerminal(argv: string[], options: TerminalOptions): Terminal {
  const home = mkdtempSync(join(tmpdir(), 'switchyard-pty-'))
  const socket = join(home, 'tmux.sock')
  const exitFile = join(home, 'exit-code')
  // Set before the command starts, so a command that exits at once still leaves its last frame.
  const config = join(home, 'tmux.conf')
  writeFileSync(config, 'set -g remain-on-exit on\nset -g history-limit 50000\nset -g status off\n')
  const tmux = (...a: string[]) => execFileSync('tmux', ['-S', socket, ...a], { encoding: 'utf8' })
  const env = { ...options.env }
  delete env.CI
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)};`)
  const command = [
    // Ctrl-C reaches the whole foreground group: the wrapper shell outlives it to record the exit code.
    "trap 'true' INT;",
    'unset CI GITHUB_ACTIONS NO_COLOR;',
    ...exports,
    `cd ${quote(options.cwd)};`,
    argv.map(quote).join(' '),
    `; echo $? > ${quote(exitFile)}`,
  ].join(' ')
  execFileSync(
    'tmux',
    [
      '-S',
      socket,
      '-f',
      config,
      'new-session',
      '-d',
      '-x',
      String(options.columns ?? 120),
      '-y',
      String(options.rows ?? 40),
      'sh',
      '-c',
      command,
    ],
    { env: { ...process.env, TERM: 'xterm-256color', TMUX: '' } },
  )

  const capture = (from?: string) =>
    tmux('capture-pane', '-p', '-J', ...(from ? ['-S', from] : []))
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd()

  const poll = async <T>(read: () => T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + 180_000
    for (;;) {
      const value = read()
      if (value !== undefined) return value
      if (Date.now() > deadline)
        throw new Error(`gave up after 3 minutes waiting for ${what}\n${capture('-')}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  return {
    screen: () => capture(),
    history: () => capture('-'),
    until: poll,
    type: (text, enter = false) => {
      tmux('send-keys', '-l', text)
      if (enter) tmux('send-keys', 'Enter')
    },
    press: (...keys) => {
      tmux('send-keys', ...keys)
    },
    waitFor: (pattern, { inHistory = false, what } = {}) =>
      poll(() => {
        const text = inHistory ? capture('-') : capture()
        return pattern.test(text) ? text : undefined
      }, what ?? `${pattern} on the screen`),
    exited: () =>
      poll(
        () => {
          if (!existsSync(exitFile)) return undefined
          const code = readFileSync(exitFile, 'utf8').trim()
          return code === '' ? undefined : Number(code)
        },
        `${argv.slice(1).join(' ')} to exit`,
      ),
    close: () => {
      spawnSync('tmux', ['-S', socket, 'kill-server'])
      rmSync(home, { recursive: true, force: true })
    },
  }
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
